package devices

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// statePresence is presence in external mode: a lock is online from a state
// message saying so until one saying it is offline (its last will). A
// request or event from a lock also marks it online (it is connected).
type statePresence struct {
	mu    sync.RWMutex
	locks map[string]*stateEntry
}

type stateEntry struct {
	online         bool
	connectedSince time.Time
	disconnectedAt time.Time
	lastSeen       time.Time
	status         LockStatus
}

func newStatePresence() *statePresence {
	return &statePresence{locks: make(map[string]*stateEntry)}
}

func (p *statePresence) entryLocked(lock string) *stateEntry {
	e := p.locks[lock]
	if e == nil {
		e = &stateEntry{status: LockStatus{BatteryPercent: -1}}
		p.locks[lock] = e
	}
	return e
}

func (p *statePresence) setOnline(lock string, online bool, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entryLocked(lock)
	switch {
	case online && !e.online:
		e.connectedSince = now
	case !online && e.online:
		e.disconnectedAt = now
	}
	e.online = online
	e.lastSeen = now
}

func (p *statePresence) seen(lock string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entryLocked(lock)
	if !e.online {
		e.online, e.connectedSince = true, now
	}
	e.lastSeen = now
}

func (p *statePresence) online(lock string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e := p.locks[lock]
	return e != nil && e.online
}

func (p *statePresence) setStatus(lock string, st LockStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.entryLocked(lock).status = st
}

func (p *statePresence) forget(lock string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.locks[lock]; e != nil && !e.online {
		delete(p.locks, lock)
	}
}

func (p *statePresence) get(lock string) (LockPresence, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e := p.locks[lock]
	if e == nil {
		return LockPresence{}, false
	}
	return e.snapshot(lock), true
}

func (p *statePresence) all() []LockPresence {
	p.mu.RLock()
	out := make([]LockPresence, 0, len(p.locks))
	for lock, e := range p.locks {
		out = append(out, e.snapshot(lock))
	}
	p.mu.RUnlock()
	slices.SortFunc(out, func(a, b LockPresence) int { return strings.Compare(a.Lock, b.Lock) })
	return out
}

func (e *stateEntry) snapshot(lock string) LockPresence {
	lp := LockPresence{
		Lock: lock, Online: e.online, ConnectedSince: e.connectedSince,
		DisconnectedAt: e.disconnectedAt, LastSeen: e.lastSeen, Status: e.status,
	}
	if e.online {
		lp.Connections = 1
	}
	return lp
}

type externalMetrics struct {
	connected prometheus.Gauge
	attempts  prometheus.Counter
	messages  *prometheus.CounterVec
}

func newExternalMetrics(reg prometheus.Registerer) (*externalMetrics, error) {
	m := &externalMetrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lockhub_mqtt_external_connected",
			Help: "1 while the hub is connected to the external MQTT broker (external mode).",
		}),
		attempts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lockhub_mqtt_external_connect_attempts_total",
			Help: "Connection attempts to the external MQTT broker.",
		}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockhub_mqtt_external_lock_messages_total",
			Help: "Lock messages received from the external broker, by topic kind (req, evt, state).",
		}, []string{"kind"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.connected, m.attempts, m.messages} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
