package pull

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	duration    *prometheus.HistogramVec
	errors      *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	unknown     prometheus.Counter
	badCreds    prometheus.Counter
	webhook     *prometheus.CounterVec
	checkins    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "lockhub", Subsystem: "sync", Name: "job_duration_seconds",
			Help:    "Duration of Nexudus sync job runs.",
			Buckets: []float64{0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400},
		}, []string{"job"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "lockhub", Subsystem: "sync", Name: "job_errors_total",
			Help: "Failed Nexudus sync job runs.",
		}, []string{"job"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "lockhub", Subsystem: "sync", Name: "last_success_timestamp_seconds",
			Help: "Unix time of the last successful run of each sync job.",
		}, []string{"job"}),
		unknown: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "lockhub", Subsystem: "sync", Name: "unknown_groups_total",
			Help: "Distinct Nexudus access-group ids met that name no hub key of a domain following the business.",
		}),
		badCreds: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "lockhub", Subsystem: "sync", Name: "rejected_credentials_total",
			Help: "Nexudus credential values skipped because they do not canonicalise.",
		}),
		webhook: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "lockhub", Subsystem: "nexudus", Name: "webhook_requests_total",
			Help: "Custom ACS webhook requests, by HTTP status answered.",
		}, []string{"status"}),
		checkins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "lockhub", Subsystem: "nexudus", Name: "checkins_total",
			Help: "Check-ins for granted unlocks at check-in doors, by result.",
		}, []string{"result"}),
	}
	reg.MustRegister(m.duration, m.errors, m.lastSuccess, m.unknown, m.badCreds, m.webhook, m.checkins)
	return m
}

func (m *metrics) observe(job string, d time.Duration, err error, at time.Time) {
	m.duration.WithLabelValues(job).Observe(d.Seconds())
	if err != nil {
		m.errors.WithLabelValues(job).Inc()
		return
	}
	m.lastSuccess.WithLabelValues(job).Set(float64(at.Unix()))
}
