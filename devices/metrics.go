package devices

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Refusal reasons for CONNECT (label values of auth_failures_total).
const (
	reasonNoCredentials  = "no_credentials"
	reasonUnknownLock    = "unknown_lock"
	reasonUnknownUser    = "unknown_user"
	reasonBadSecret      = "bad_secret"
	reasonBadClientID    = "bad_client_id"
	reasonBadCertificate = "bad_certificate"
	reasonBadWill        = "bad_will"
	reasonKeepaliveZero  = "keepalive_zero"
)

// Other label values.
const (
	kindLock      = "lock"
	kindUser      = "user"
	dirPublish    = "publish"
	dirSubscribe  = "subscribe"
	scopeClientID = "client_id"
	scopeRemote   = "remote"
	pathDirect    = "direct"
	pathBroker    = "broker"
)

type metrics struct {
	connections  *prometheus.GaugeVec
	connects     *prometheus.CounterVec
	authFailures *prometheus.CounterVec
	aclRefusals  *prometheus.CounterVec
	throttled    *prometheus.CounterVec
	dropped      prometheus.Counter
	lockMessages *prometheus.CounterVec
	// lockMessages by kind, looked up once: a message does not hash labels.
	reqMessages, evtMessages, stateMessages prometheus.Counter
	replies                                 *prometheus.CounterVec
	// replies' two series, resolved once (one per reply on the hot path)
	repliesDirect, repliesBroker prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lockhub_mqtt_connections",
			Help: "Authenticated MQTT connections currently open, by kind (lock or user).",
		}, []string{"kind"}),
		connects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockhub_mqtt_connects_total",
			Help: "Successful MQTT connects, by kind (lock or user).",
		}, []string{"kind"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockhub_mqtt_auth_failures_total",
			Help: "Refused MQTT CONNECTs, by reason.",
		}, []string{"reason"}),
		aclRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockhub_mqtt_acl_refusals_total",
			Help: "Publishes and subscriptions refused by the ACL, by direction.",
		}, []string{"direction"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockhub_mqtt_auth_throttled_total",
			Help: "CONNECTs refused unchecked because of earlier failures, by scope (client_id or remote).",
		}, []string{"scope"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lockhub_mqtt_publishes_dropped_total",
			Help: "Messages dropped because a client's outbound queue was full.",
		}),
		lockMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockhub_mqtt_lock_messages_total",
			Help: "Messages accepted from locks on their own topics, by topic kind (req, evt, state).",
		}, []string{"kind"}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockhub_mqtt_replies_total",
			Help: "Replies and acks sent to locks, by path: direct (written on the requesting connection, its only subscriber) or broker (published through the broker).",
		}, []string{"path"}),
	}
	// Bounded label values, pre-set so every series exists from the start.
	// No metric carries a lock id, user name or client id.
	for _, v := range []string{kindLock, kindUser} {
		m.connections.WithLabelValues(v)
		m.connects.WithLabelValues(v)
	}
	for _, v := range []string{
		reasonNoCredentials, reasonUnknownLock, reasonUnknownUser, reasonBadSecret,
		reasonBadClientID, reasonBadCertificate, reasonBadWill, reasonKeepaliveZero,
	} {
		m.authFailures.WithLabelValues(v)
	}
	for _, v := range []string{dirPublish, dirSubscribe} {
		m.aclRefusals.WithLabelValues(v)
	}
	for _, v := range []string{scopeClientID, scopeRemote} {
		m.throttled.WithLabelValues(v)
	}
	m.reqMessages = m.lockMessages.WithLabelValues(KindReq)
	m.evtMessages = m.lockMessages.WithLabelValues(KindEvt)
	m.stateMessages = m.lockMessages.WithLabelValues(KindState)
	m.repliesDirect = m.replies.WithLabelValues(pathDirect)
	m.repliesBroker = m.replies.WithLabelValues(pathBroker)
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{
		m.connections, m.connects, m.authFailures, m.aclRefusals, m.throttled, m.dropped, m.lockMessages, m.replies,
	} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("register mqtt metrics: %w", err)
	}
	return m, nil
}
