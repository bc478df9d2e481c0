// Package policy decides when a queued entry may be picked up for a
// delivery attempt. It splits traffic into independent sub-queues so that a
// slow destination or source IP never holds up the others.
//
// # Model
//
// An entry (one recipient of one message) carries eight field values, see
// Entry. A configuration (smtpd-policy.yaml, loaded by Load or LoadFile)
// holds policies and suspends:
//
//   - A policy names some of the fields. For one entry, the values of those
//     fields, after rollup, form the policy's key: the sub-queue. A rollup
//     replaces a raw value with "#name" when it matches one of the rollup's
//     items, so all Google MX hosts can share the key remotemx=#gsuite.
//   - The policy's conditions are tested against the key in order. The
//     first whose every field matcher matches gives the key its Limits.
//     When none matches, the policy's default applies, and a policy
//     without a default does not limit that key.
//   - A suspend is a set of field matchers tested against the raw values.
//     While one matches, the entry is not picked up.
//
// Dynamic policies and suspends (AddPolicy, AddSuspend) add conditions and
// suspends at runtime with a time to live. A dynamic condition is tested
// before the static ones of its policy, newest first, and takes effect at
// the next pickup decision.
//
// # Pickup
//
// Engine.Pickup is the one call the scheduler makes per attempt. It checks
// the suspends, finds the key and limits of every policy, and, only when
// every key is below its concurrency, rate and connect-interval limits,
// takes one concurrency slot and records one rate event in each key at once.
// It returns a Lease, which the caller releases when the attempt ends, or a
// Refusal with the reason and the earliest time the entry may go.
//
// Keys are interned: the first pickup of a key allocates its sub-queue, and
// every later pickup finds it in a sharded map without allocating. The
// limits found for a key are cached in its sub-queue until the policy's
// conditions change, so the cost of a decision does not grow with the
// number of conditions. Idle sub-queues are dropped by Engine.Sweep.
//
// Rate limits are exact sliding windows: at most N pickups in any window
// (now-I, now], the same rule as the rate() builtin of HSL. Each key keeps
// the times of its pickups inside the window, at most N of them.
//
// # Time
//
// All time comes from a Clock given to New, so tests and the hook tester run
// on a fake clock.
package policy
