package api

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/halonsh/halonsh/mta/policy"
	"github.com/halonsh/halonsh/mta/queue"
)

// topSubqueues bounds the label values of the per-sub-queue gauge: the
// busiest keys get their own series and the rest add up under "other".
const topSubqueues = 20

// collector reads the queue and the policy engine at scrape time, so the
// delivery path carries no metric code.
type collector struct {
	q   *queue.Queue
	eng *policy.Engine

	entries     *prometheus.Desc
	subqueue    *prometheus.Desc
	deliveries  *prometheus.Desc
	pickups     *prometheus.Desc
	refused     *prometheus.Desc
	active      *prometheus.Desc
	subqueues   *prometheus.Desc
	dynPolicies *prometheus.Desc
	dynSuspends *prometheus.Desc
}

func newCollector(q *queue.Queue, eng *policy.Engine) *collector {
	return &collector{
		q:           q,
		eng:         eng,
		entries:     prometheus.NewDesc("halonsh_queue_entries", "Queued entries (one per recipient) by state.", []string{"state"}, nil),
		subqueue:    prometheus.NewDesc("halonsh_queue_subqueue_entries", "Queued entries by policy sub-queue key; the keys beyond the busiest 20 add up under \"other\".", []string{"subqueue"}, nil),
		deliveries:  prometheus.NewDesc("halonsh_deliveries_total", "Finished delivery outcomes by result class.", []string{"result"}, nil),
		pickups:     prometheus.NewDesc("halonsh_pickups_total", "Granted pickups of queued entries.", nil, nil),
		refused:     prometheus.NewDesc("halonsh_pickups_refused_total", "Refused pickups by reason: concurrency, rate, connectinterval or suspend.", []string{"reason"}, nil),
		active:      prometheus.NewDesc("halonsh_delivery_attempts_active", "Delivery attempts in flight, each on its own outbound connection.", nil, nil),
		subqueues:   prometheus.NewDesc("halonsh_policy_subqueues", "Live policy sub-queues.", nil, nil),
		dynPolicies: prometheus.NewDesc("halonsh_policy_dynamic_policies", "Dynamic policies in force.", nil, nil),
		dynSuspends: prometheus.NewDesc("halonsh_policy_dynamic_suspends", "Dynamic suspends in force.", nil, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.entries, c.subqueue, c.deliveries, c.pickups, c.refused, c.active, c.subqueues, c.dynPolicies, c.dynSuspends} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.q.Stats()
	for _, state := range entryStates {
		ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(st.States[state]), state)
	}
	for result, n := range map[string]uint64{"delivered": st.Delivered, "deferred": st.Deferred, "bounced": st.Bounced, "deleted": st.Deleted} {
		ch <- prometheus.MustNewConstMetric(c.deliveries, prometheus.CounterValue, float64(n), result)
	}
	ch <- prometheus.MustNewConstMetric(c.pickups, prometheus.CounterValue, float64(st.Pickups))
	for _, reason := range []string{"concurrency", "rate", "connectinterval", "suspend"} {
		ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(st.Refused[reason]), reason)
	}
	ch <- prometheus.MustNewConstMetric(c.active, prometheus.GaugeValue, float64(st.InFlight))
	ch <- prometheus.MustNewConstMetric(c.subqueues, prometheus.GaugeValue, float64(c.eng.Len()))
	ch <- prometheus.MustNewConstMetric(c.dynPolicies, prometheus.GaugeValue, float64(len(c.eng.DynamicPolicies())))
	ch <- prometheus.MustNewConstMetric(c.dynSuspends, prometheus.GaugeValue, float64(len(c.eng.DynamicSuspends())))

	for key, n := range c.subqueueCounts() {
		ch <- prometheus.MustNewConstMetric(c.subqueue, prometheus.GaugeValue, float64(n), key)
	}
}

// subqueueCounts counts queued entries per policy key, keeping the
// busiest topSubqueues keys and adding the rest under "other".
func (c *collector) subqueueCounts() map[string]int {
	counts := map[string]int{}
	keyOf := map[queue.Fields]string{}
	for _, info := range c.q.Snapshot() {
		key, ok := keyOf[info.Fields]
		if !ok {
			key = subqueueKeys(c.eng, &info.Fields)
			keyOf[info.Fields] = key
		}
		counts[key]++
	}
	if len(counts) <= topSubqueues {
		return counts
	}

	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	out := map[string]int{}
	for i, k := range keys {
		if i < topSubqueues {
			out[k] = counts[k]
		} else {
			out["other"] += counts[k]
		}
	}
	return out
}
