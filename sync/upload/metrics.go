package upload

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	batches     *prometheus.CounterVec
	events      prometheus.Counter
	bytes       prometheus.Counter
	lastSuccess prometheus.Gauge
	parked      prometheus.Gauge
	parkedEvts  prometheus.Gauge
	failures    prometheus.Gauge
	duration    prometheus.Histogram
}

// Result label values of lockhub_upload_batches_total.
const (
	resultSuccess = "success"
	resultFailure = "failure"
	resultParked  = "parked"
)

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockhub_upload_batches_total",
			Help: "Upload attempts of event batches by result (success, failure: retried later, parked: refused by the upstream).",
		}, []string{"result"}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lockhub_upload_events_total",
			Help: "Events delivered upstream (2xx).",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lockhub_upload_bytes_total",
			Help: "Compressed bytes of delivered batches.",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lockhub_upload_last_success_timestamp_seconds",
			Help: "Unix time of the last delivered batch.",
		}),
		parked: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lockhub_upload_parked_batches",
			Help: "Batches refused by the upstream and kept for an admin to retry or discard.",
		}),
		parkedEvts: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lockhub_upload_parked_events",
			Help: "Events in parked batches.",
		}),
		failures: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lockhub_upload_consecutive_failures",
			Help: "Failed attempts since the last answer from the upstream (0 when healthy).",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "lockhub_upload_request_duration_seconds",
			Help:    "Duration of upload requests.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
	}
	for _, r := range []string{resultSuccess, resultFailure, resultParked} {
		m.batches.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.batches, m.events, m.bytes, m.lastSuccess, m.parked,
		m.parkedEvts, m.failures, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register upload metrics: %w", err)
		}
	}
	return m, nil
}
