// Package queue is the outbound scheduler: it decides when each queued
// entry (one recipient of one spooled message) gets a delivery attempt,
// runs the pre- and post-delivery hooks around the attempt, and carries
// out their action.
//
// # Structures
//
// Every entry is in exactly one place, named by its state:
//
//   - waiting: in a binary heap ordered by next attempt time;
//   - routing: its next hops are being looked up (one lookup per domain
//     or host serves every entry that waits for it);
//   - ready: in the ready list of its sub-queue;
//   - active: picked up, its attempt running on its own goroutine;
//   - hold: in the hold queue until an operator releases it.
//
// A second heap orders every entry by expiry time (queued time plus the
// transport's maximum age), so an entry expires on time wherever it
// waits, including in a held or suspended sub-queue.
//
// # Sub-queues and pickup
//
// Routing happens before pickup, so the policy fields remotemx and
// remoteip are known (the first MX host and its first address, or the
// transport's fixed next hop). Entries with equal fields apart from the
// source IP share one ready list, oldest first. Since the policy engine
// decides from the fields alone, the head of a list stands for all of it.
//
// One scheduling goroutine takes runnable sub-queues round robin and asks
// the Admission (the policy engine) for a pickup of each head entry,
// trying the transport's source IPs in order. A refused sub-queue is
// parked and costs nothing until it can succeed: after a concurrency
// refusal it waits for a release on the refusing key (or its own), after
// a rate, connect-interval or suspend refusal until the time the engine
// names; a recheck bounds every wait. A pickup therefore costs the same
// whatever the number of queued entries, and a full or suspended
// sub-queue never delays another one. Because every pickup goes through
// the engine, neither a resumed sub-queue nor an operator's "retry now"
// can exceed a limit.
//
// # Attempts and retries
//
// After pickup, pre-delivery may skip the attempt (Queue, Bounce, Delete)
// or override the transport for it (Try). The Deliverer then makes the
// attempt; its slots go back to the engine as soon as it ends, before
// post-delivery runs. Post-delivery gets the result and the default
// action (see contexts): QUEUE after a temporary failure, BOUNCE after a
// permanent one or past the retry limit, DELETE instead of BOUNCE for the
// null sender or when the transport says so. A requeued entry waits for
// the transport's retry interval spread by its jitter, or exactly for a
// delay the hook set. A bounce stores an RFC 3464 DSN to the sender as a
// new message before the entry is removed.
//
// # Logs
//
// Every attempt, and every entry that leaves the queue without one, gets
// one slog line with msg_id, queue_id, recipient, subqueue, mx, result,
// outcome and duration. Options.AttemptLog receives the same events as
// JSON lines: the post-delivery $arguments of the attempt plus "ts",
// "message" and the outcome, so a hook tester can replay them.
package queue
