package devices

import (
	"context"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/prometheus/client_golang/prometheus"
)

func TestDefaultBrokerConfigValid(t *testing.T) {
	cfg := DefaultBrokerConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("DefaultBrokerConfig().Validate() = %v", err)
	}
	if cfg.MaxClients != DefaultMaxClients || cfg.ConnectTimeout != DefaultConnectTimeout {
		t.Errorf("defaults not filled: %+v", cfg)
	}
}

// A connection that ended without OnDisconnect (mochi skips it when the
// CONNACK write fails) is swept: its session and presence are released.
func TestSweepReleasesOrphanedSessions(t *testing.T) {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	b := &Broker{
		now:      time.Now,
		metrics:  m,
		presence: newPresenceTable(),
		byClient: newThrottle(1, time.Second),
		byRemote: newThrottle(1, time.Second),
	}
	cl := &mqtt.Client{ID: "A"} // a zero client counts as closed since the epoch
	s := &session{cl: cl, kind: kindLock, name: "A"}
	b.sessions.Store(cl, s)
	if !b.presence.attach(s, time.Now()) {
		t.Fatal("attach failed")
	}
	b.metrics.connections.WithLabelValues(kindLock).Inc()
	b.byClient.fail("x", time.Now().Add(-time.Hour))
	b.sweep()
	if _, ok := b.sessions.Load(cl); ok {
		t.Error("session not swept")
	}
	if b.presence.online("A") {
		t.Error("lock still online after sweep")
	}
	if b.byClient.len() != 0 {
		t.Error("refilled throttle bucket not swept")
	}
	// Sweeping again (or a late OnDisconnect) does not count twice.
	if b.detach(s, time.Now()) {
		t.Error("second detach reported success")
	}
}

func TestCloseIdempotentAndRunAfterClose(t *testing.T) {
	b, err := NewBroker(BrokerConfig{TCP: ListenerConfig{Address: "127.0.0.1:0"}},
		BrokerDeps{LockSecret: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	b.Close()
	if err := b.Run(context.Background()); err == nil {
		t.Error("Run after Close returned nil")
	}
}

func TestNewBrokerRequiresLockSecret(t *testing.T) {
	if _, err := NewBroker(BrokerConfig{TCP: ListenerConfig{Address: "127.0.0.1:0"}}, BrokerDeps{}); err == nil {
		t.Error("NewBroker without LockSecret succeeded")
	}
}
