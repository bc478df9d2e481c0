package hooks

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Hook run metrics of the process, labelled by context. Runners record
// into them; the control API exposes them.
var (
	runSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "halonsh_hook_run_seconds",
		Help:    "Wall time of hook script runs by context.",
		Buckets: []float64{0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5},
	}, []string{"hook"})
	scriptErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "halonsh_hook_script_errors_total",
		Help: "Hook script runs that ended in a script error, by context.",
	}, []string{"hook"})
)

// Collectors returns the hook metrics for registration.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{runSeconds, scriptErrors}
}

func observe(kind Kind, elapsed time.Duration, err error) {
	runSeconds.WithLabelValues(kind.String()).Observe(elapsed.Seconds())
	if err != nil {
		scriptErrors.WithLabelValues(kind.String()).Inc()
	}
}
