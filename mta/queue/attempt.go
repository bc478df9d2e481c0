package queue

import (
	"net/netip"
	"strings"
	"time"

	"github.com/halonsh/halonsh/mta/config"
)

// outcome is what happened to a picked-up or leaving entry, before the
// post-delivery hook decides what to do about it.
type outcome struct {
	attempted bool
	result    *Result    // nil without an attempt
	forced    ActionKind // ActionBounce or ActionDelete from pre-delivery, expiry or an operator
	expired   bool       // forced by the maximum age
	reason    string
	policy    *PolicyInfo
	fields    Fields
	context   any
	// pre carries pre-delivery's metadata and DSN settings.
	pre *Action
}

// attempt runs one picked-up entry: pre-delivery, the delivery itself,
// the release of its policy slots, then post-delivery and its action.
func (q *Queue) attempt(e *entry, sq *subqueue, transport *config.Transport, grant Grant, source SourceIP) {
	defer q.wg.Done()
	ctx := q.attemptCtx
	hooks := q.hooks.Load().h
	msg := e.msg.clone()

	if q.journal != nil {
		q.journal.Begin(&msg)
	}

	fields := sq.fields
	fields.LocalIP = source.Address
	info := grant.Info()
	pre := hooks.PreDelivery(ctx, &PreDelivery{Message: msg, Retry: msg.Retry, Fields: fields, Policy: info})
	o := outcome{policy: info, fields: fields, context: pre.Context, pre: &pre}

	switch pre.Kind {
	case ActionQueue:
		q.release(sq, grant, info)
		q.requeue(e, &pre, nil, q.clock.Now(), outcome{fields: fields, pre: &pre})
		return
	case ActionBounce, ActionDelete:
		q.release(sq, grant, info)
		o.forced, o.reason = pre.Kind, pre.Reason
		q.conclude(e, o)
		return
	}

	a := &Attempt{Message: msg, Hops: e.hops, SourceIP: source, Options: pre.Try}
	applyTry(a, transport.SourceIPs)
	a.SubqueueKey = sq.key + "|" + a.SourceIP.Address

	start := time.Now()
	res := q.deliverer.Deliver(ctx, a)
	if res == nil {
		res = &Result{Error: &AttemptError{Temporary: true, Type: "network", Message: "delivery returned no result"}}
	}
	if res.Duration == 0 {
		res.Duration = time.Since(start)
	}
	q.release(sq, grant, info)

	o.attempted, o.result = true, res
	q.conclude(e, o)
}

// applyTry applies pre-delivery's Try overrides to the attempt.
func applyTry(a *Attempt, sources []config.SourceIP) {
	opt := &a.Options
	if opt.Sender != "" {
		a.Message.Sender = opt.Sender
	}
	if opt.Recipient != "" {
		a.Message.Recipient = opt.Recipient
	}
	if opt.JobID != "" {
		a.Message.JobID = opt.JobID
	}
	if opt.Host != "" && opt.Host != "lookup-mx" {
		hop := Hop{MX: strings.ToLower(opt.Host), Port: opt.Port}
		if addr, err := netip.ParseAddr(opt.Host); err == nil {
			hop.IP = addr.String()
		}
		if hop.Port == 0 && len(a.Hops) > 0 {
			hop.Port = a.Hops[0].Port
		}
		a.Hops = []Hop{hop}
	} else if opt.Port != 0 {
		hops := make([]Hop, len(a.Hops))
		for i, h := range a.Hops {
			h.Port = opt.Port
			hops[i] = h
		}
		a.Hops = hops
	}
	for _, want := range opt.SourceIPs {
		for _, s := range sources {
			if s.ID == want || s.Address == want {
				a.SourceIP = SourceIP{ID: s.ID, Address: s.Address, HELO: s.HELO}
				return
			}
		}
		if addr, err := netip.ParseAddr(want); err == nil {
			a.SourceIP = SourceIP{ID: want, Address: addr.String()}
			return
		}
	}
}

// finishWithoutAttempt ends an entry that leaves the queue without an
// attempt: expiry, an operator's bounce or delete.
func (q *Queue) finishWithoutAttempt(e *entry, kind ActionKind, expired bool, reason string) {
	defer q.wg.Done()
	q.conclude(e, outcome{forced: kind, expired: expired, reason: reason})
}

// finishRouteError ends an attempt whose next-hop lookup failed. It
// counts as an attempt, with a DNS error and no connection.
func (q *Queue) finishRouteError(e *entry, err error) {
	defer q.wg.Done()
	ae := &AttemptError{Temporary: true, Type: "dns", DNS: "other", Message: err.Error()}
	if re, ok := err.(*RouteError); ok {
		ae.Temporary, ae.DNS = re.Temporary, re.DNS
		if ae.DNS == "" {
			ae.DNS = "other"
		}
	}
	q.conclude(e, outcome{attempted: true, result: &Result{Error: ae}})
}

// conclude runs post-delivery for an outcome and carries out the action:
// remove after delivery, requeue, bounce with a DSN, or delete.
func (q *Queue) conclude(e *entry, o outcome) {
	now := q.clock.Now()
	t := q.transport(e.msg.TransportID)
	msg := e.msg.clone()

	attempts := msg.Retry
	if o.attempted {
		attempts++
	}
	expired := o.expired || attempts >= t.Retry.Count || !now.Before(e.expiresAt)
	def := defaultAction(&o, expired, t.OnExpire, msg.Sender)
	dsn := dsnInfo(def, &o, &msg)

	post := q.hooks.Load().h.PostDelivery(q.attemptCtx, &PostDelivery{
		Message: msg, Retry: msg.Retry, Expired: expired, Action: def,
		Attempt: o.result, Policy: o.policy, DSN: dsn, Context: o.context,
	})

	final := resolveAction(&post, def, msg.Sender)
	if o.pre != nil && o.pre.Metadata != nil && post.Metadata == nil {
		post.Metadata = o.pre.Metadata
	}
	if o.pre != nil && o.pre.DSN != nil && post.DSN == nil {
		post.DSN = o.pre.DSN
	}
	if post.Reason != "" {
		o.reason = post.Reason
	}

	switch final {
	case "":
		q.logOutcome(e, &msg, &o, "DELIVERED", def, expired, dsn, 0, now)
		q.remove(e, &msg, "delivered")
	case "QUEUE":
		q.requeue(e, &post, &attempts, now, o)
	case "BOUNCE":
		q.logOutcome(e, &msg, &o, "BOUNCE", def, expired, dsn, 0, now)
		q.bounce(e, &msg, &o, dsn, post.DSN, now)
	default:
		q.logOutcome(e, &msg, &o, "DELETE", def, expired, dsn, 0, now)
		q.remove(e, &msg, "deleted")
	}
}

// defaultAction is post-delivery's $arguments["action"].
func defaultAction(o *outcome, expired bool, onExpire, sender string) string {
	action := ""
	switch {
	case o.forced == ActionBounce:
		action = "BOUNCE"
	case o.forced == ActionDelete:
		action = "DELETE"
	case o.result == nil:
		action = "QUEUE"
	default:
		switch o.result.Class() {
		case "delivered":
			return ""
		case "permanent":
			action = "BOUNCE"
		default:
			action = "QUEUE"
			if expired {
				action = strings.ToUpper(onExpire)
			}
		}
	}
	if action == "BOUNCE" && sender == "" {
		action = "DELETE" // no DSN to the null sender
	}
	return action
}

// resolveAction turns the hook's action into the one carried out. After a
// successful delivery only the default applies.
func resolveAction(post *Action, def, sender string) string {
	if def == "" {
		return ""
	}
	switch post.Kind {
	case ActionQueue:
		return "QUEUE"
	case ActionBounce:
		if sender == "" {
			return "DELETE"
		}
		return "BOUNCE"
	case ActionDelete:
		return "DELETE"
	}
	return def
}

// requeue reschedules an entry after a deferral. attempts is the retry
// count including this attempt (nil when pre-delivery skipped it). Past
// the transport's retry count or maximum age the entry bounces or is
// deleted instead, as the transport says.
func (q *Queue) requeue(e *entry, act *Action, attempts *int, now time.Time, o outcome) {
	q.requeueChecked(e, act, attempts, now, o, true)
}

// requeueChecked is requeue with the limit check optional: a bounce whose
// DSN could not be stored retries without expiring again at once.
func (q *Queue) requeueChecked(e *entry, act *Action, attempts *int, now time.Time, o outcome, checkLimit bool) {
	msg := e.msg.clone()
	retry := msg.Retry + 1
	if attempts != nil {
		retry = *attempts
	}
	if act.KeepRetry {
		retry = msg.Retry
	}
	if act.ResetRetry {
		retry = 0
	}
	if act.TransportID != "" && q.cfg.Load().Transport(act.TransportID) != nil {
		msg.TransportID = act.TransportID
	}
	t := q.transport(msg.TransportID)
	expiresAt := msg.QueuedAt.Add(t.Retry.MaxAge)

	if checkLimit && (retry >= t.Retry.Count || !now.Before(expiresAt)) {
		// Post-delivery has already run for this outcome (or pre-delivery
		// chose to skip it), so the transport's expiry action is carried
		// out directly instead of asking the hook again.
		o.expired = true
		if o.reason == "" {
			o.reason = "retry limit reached"
		}
		if t.OnExpire == "delete" || msg.Sender == "" {
			q.logOutcome(e, &msg, &o, "DELETE", "DELETE", true, nil, 0, now)
			q.remove(e, &msg, "deleted")
			return
		}
		info := dsnInfo("BOUNCE", &o, &msg)
		q.logOutcome(e, &msg, &o, "BOUNCE", "BOUNCE", true, info, 0, now)
		q.bounce(e, &msg, &o, info, act.DSN, now)
		return
	}

	delay := act.Delay
	if !act.DelaySet {
		delay = jitter(t.Retry.Intervals.Delay(max(retry, 1)), t.Retry.Jitter)
	}
	msg.Retry = retry
	msg.NextAttempt = now.Add(delay)
	msg.Hold = act.Hold
	if act.Metadata != nil {
		msg.Metadata = act.Metadata
	}
	if o.result != nil {
		msg.LastResult = o.result.Summary()
	} else if act.Reason != "" {
		msg.LastResult = act.Reason
	}
	if err := q.store.Update(&msg); err != nil {
		q.log.Error("cannot store the retry state; the entry keeps its previous state after a restart",
			"msg_id", msg.TransactionID, "queue_id", msg.ID, "err", err)
	}
	q.logOutcome(e, &msg, &o, "QUEUE", "QUEUE", false, nil, delay, now)

	q.mu.Lock()
	q.counters.Deferred++
	e.msg = msg
	if !expiresAt.Equal(e.expiresAt) && e.expireIndex >= 0 {
		q.expire.remove(e)
	}
	e.expiresAt = expiresAt
	if e.expireIndex < 0 {
		q.expire.push(e)
	}
	q.schedule(e, now)
	q.mu.Unlock()
	q.poke()
}

// remove ends an entry in the store and the queue; why is delivered,
// bounced or deleted.
func (q *Queue) remove(e *entry, msg *Message, why string) {
	if err := q.store.Remove(msg, why); err != nil {
		q.log.Error("cannot remove the entry from the spool; it may be delivered again after a restart",
			"msg_id", msg.TransactionID, "queue_id", msg.ID, "err", err)
	}
	q.mu.Lock()
	switch why {
	case "delivered":
		q.counters.Delivered++
	case "bounced":
		q.counters.Bounced++
	default:
		q.counters.Deleted++
	}
	q.expire.remove(e)
	delete(q.entries, msg.ID)
	q.mu.Unlock()
}

// bounce sends a DSN to the sender and removes the entry. When the DSN
// cannot be stored the entry stays queued, so the failure is reported
// later instead of lost.
func (q *Queue) bounce(e *entry, msg *Message, o *outcome, info *DSNInfo, opts *DSNOptions, now time.Time) {
	header, err := q.store.Header(msg)
	if err != nil {
		q.log.Warn("cannot read the original header for the DSN", "msg_id", msg.TransactionID, "err", err)
	}
	to := msg.Sender
	transport := q.transport(msg.TransportID).DSNTransport
	if opts != nil {
		if opts.Recipient != "" {
			to = opts.Recipient
		}
		if opts.TransportID != "" {
			transport = opts.TransportID
		}
	}
	data := buildDSN(dsnInput{
		hostname: q.hostname, msg: msg, to: to, info: info, result: o.result,
		reason: o.reason, header: header, now: now, opts: opts,
	})

	dsnMsgs, err := q.store.Inject("", []string{to}, transport, data)
	if err != nil {
		q.log.Error("cannot store the DSN; the entry stays queued", "msg_id", msg.TransactionID, "queue_id", msg.ID, "err", err)
		retryLater := &Action{Kind: ActionQueue, KeepRetry: true, DelaySet: true, Delay: time.Minute}
		q.requeueChecked(e, retryLater, nil, now, outcome{}, false)
		return
	}
	q.Add(dsnMsgs...)
	q.remove(e, msg, "bounced")
}

// dsnInfo is post-delivery's $arguments["dsn"].
func dsnInfo(action string, o *outcome, msg *Message) *DSNInfo {
	info := &DSNInfo{DiagnosticType: "x-error"}
	switch action {
	case "QUEUE":
		info.Action = "delayed"
	case "BOUNCE", "DELETE":
		info.Action = "failed"
	default:
		if !wantsSuccessDSN(msg) {
			return nil
		}
		info.Action = "relayed"
	}

	switch {
	case o.result != nil:
		info.Status = o.result.status()
		info.DiagnosticCode = o.result.Summary()
		if o.result.SMTP != nil {
			info.DiagnosticType = "smtp"
		}
	case o.expired:
		info.Status = [3]int{4, 4, 7}
		info.DiagnosticCode = o.reason
	default:
		info.Status = [3]int{5, 0, 0}
		info.DiagnosticCode = o.reason
	}
	if o.reason != "" && o.result == nil {
		info.DiagnosticCode = o.reason
	}
	return info
}

func wantsSuccessDSN(m *Message) bool {
	for _, n := range m.DSN.Notify {
		if strings.EqualFold(n, "SUCCESS") {
			return true
		}
	}
	return false
}
