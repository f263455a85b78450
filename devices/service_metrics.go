package devices

import (
	"errors"
	"fmt"
	"slices"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/policy"
	"github.com/prometheus/client_golang/prometheus"
)

type serviceMetrics struct {
	decisions *prometheus.CounterVec
	// byReason[r] is decisions' counter for reason r (its result follows
	// from it), looked up once: a decision does not hash labels.
	byReason       []prometheus.Counter
	latency        prometheus.Histogram
	requestErrors  *prometheus.CounterVec
	eventErrors    *prometheus.CounterVec
	stateErrors    prometheus.Counter
	doorEvents     *prometheus.CounterVec
	doorDuplicates prometheus.Counter
	lockouts       prometheus.Counter
	commands       *prometheus.CounterVec
}

func newServiceMetrics(reg prometheus.Registerer) (*serviceMetrics, error) {
	m := &serviceMetrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockhub_decisions_total",
			Help: "Unlock decisions answered to locks, by result and reason.",
		}, []string{"result", "reason"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:                        "lockhub_decision_duration_seconds",
			Help:                        "Time from receiving a lock's request to sending the reply, event store included.",
			Buckets:                     []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1},
			NativeHistogramBucketFactor: 1.1,
		}),
		requestErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockhub_lock_request_errors_total",
			Help: "Lock requests answered with an error, by protocol error code.",
		}, []string{"code"}),
		eventErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockhub_lock_event_errors_total",
			Help: "Door events refused as malformed, by protocol error code.",
		}, []string{"code"}),
		stateErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lockhub_lock_state_errors_total",
			Help: "Lock state messages refused as malformed.",
		}),
		doorEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockhub_door_events_total",
			Help: "Door events stored, by kind.",
		}, []string{"kind"}),
		doorDuplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lockhub_door_event_duplicates_total",
			Help: "Door events a lock resent that were already stored (acked again, not stored twice).",
		}),
		lockouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lockhub_keypad_lockouts_total",
			Help: "Keypad lockouts after repeated wrong PINs.",
		}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockhub_lock_commands_total",
			Help: "Signed commands sent to locks, by command.",
		}, []string{"command"}),
	}
	reasons := policy.Reasons()
	m.byReason = make([]prometheus.Counter, int(slices.Max(reasons))+1)
	for _, r := range reasons {
		m.byReason[r] = m.decisions.WithLabelValues(resultLabel(policy.Decision{Reason: r}), r.String())
	}
	for _, c := range wire.ErrorCodes() {
		m.requestErrors.WithLabelValues(c.String())
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.decisions, m.latency, m.requestErrors, m.eventErrors,
		m.stateErrors, m.doorEvents, m.doorDuplicates, m.lockouts, m.commands} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("register lock service metrics: %w", err)
	}
	return m, nil
}

// decided counts one decision.
func (m *serviceMetrics) decided(d policy.Decision) {
	if int(d.Reason) < len(m.byReason) && m.byReason[d.Reason] != nil {
		m.byReason[d.Reason].Inc()
		return
	}
	m.decisions.WithLabelValues(resultLabel(d), d.Reason.String()).Inc()
}
