package devices

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// LockPresence is what the hub knows about one lock's connection.
type LockPresence struct {
	Lock string
	// Online is true while at least one connection authenticated as the lock
	// is open (the lock itself, or a tool using client id "<lock>/...").
	Online      bool
	Connections int
	// ConnectedSince is when the lock went online (zero if it never did);
	// DisconnectedAt when it last went offline (zero while never offline).
	ConnectedSince time.Time
	DisconnectedAt time.Time
	// LastSeen is when any packet last arrived from any of its connections.
	LastSeen time.Time
	// The newest open connection's details (the last one's when offline).
	ClientID        string
	RemoteAddr      string
	ProtocolVersion byte
	Status          LockStatus
}

// LockStatus is what the lock last reported about itself, as merged by the
// caller of SetLockStatus (typically the hub's state handler).
type LockStatus struct {
	Firmware       string
	BatteryPercent int    // -1 when unknown
	Door           string // e.g. "closed", "open", "forced", "held"
	ClockOffset    time.Duration
	UpdatedAt      time.Time
}

// session is one authenticated connection.
type session struct {
	cl     *mqtt.Client
	kind   string // kindLock or kindUser
	name   string // lock id or user name
	user   *UserConfig
	lock   *lockEntry // for locks, set by attach (on the client's goroutine)
	remote string
	since  time.Time

	attached bool // guarded by presenceTable.mu

	// direct[replySlot(kind)] is 1 + the broker's subscription generation
	// at which a reply of that kind was found deliverable straight to this
	// connection (0: not known). Only that positive answer is cached.
	direct [2]atomic.Uint64

	// replyTopics[replySlot(kind)] is the lock's own topic of that reply
	// kind, made on first use by the connection's goroutine (the only one
	// that publishes for it), so a request does not build it each time.
	replyTopics [2]string
}

// ownTopic returns the lock's topic of a reply kind (KindRes, KindAck).
func (s *session) ownTopic(kind string) string {
	i := replySlot(kind)
	if i < 0 {
		return LockTopic(s.name, kind)
	}
	if s.replyTopics[i] == "" {
		s.replyTopics[i] = LockTopic(s.name, kind)
	}
	return s.replyTopics[i]
}

// replySlot is the session.direct index of a reply kind, -1 for a kind
// replyDirect does not serve.
func replySlot(kind string) int {
	switch kind {
	case KindRes:
		return 0
	case KindAck:
		return 1
	}
	return -1
}

type lockEntry struct {
	lastSeen atomic.Int64 // unix nanoseconds

	// guarded by presenceTable.mu
	sessions       map[*session]struct{}
	latest         *session // newest open session, or the last one closed
	connectedSince time.Time
	disconnectedAt time.Time
	status         LockStatus
}

type presenceTable struct {
	mu    sync.RWMutex
	locks map[string]*lockEntry
}

func newPresenceTable() *presenceTable {
	return &presenceTable{locks: make(map[string]*lockEntry)}
}

// entryLocked returns lock's entry, creating it.
func (p *presenceTable) entryLocked(lock string) *lockEntry {
	e := p.locks[lock]
	if e == nil {
		e = &lockEntry{sessions: make(map[*session]struct{}), status: LockStatus{BatteryPercent: -1}}
		p.locks[lock] = e
	}
	return e
}

// attach records s as open (and, for a lock, sets s.lock). It reports false
// if s was already attached.
func (p *presenceTable) attach(s *session, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.attached {
		return false
	}
	s.attached = true
	if s.kind == kindLock {
		e := p.entryLocked(s.name)
		s.lock = e
		if len(e.sessions) == 0 {
			e.connectedSince = now
		}
		e.sessions[s] = struct{}{}
		e.latest = s
		e.lastSeen.Store(now.UnixNano())
	}
	return true
}

// detach records s as closed. It reports false if s was not attached (so
// OnDisconnect and the sweep may both call it).
func (p *presenceTable) detach(s *session, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !s.attached {
		return false
	}
	s.attached = false
	if e := s.lock; e != nil {
		delete(e.sessions, s)
		if e.latest == s && len(e.sessions) > 0 {
			e.latest = nil
			for o := range e.sessions {
				if e.latest == nil || o.since.After(e.latest.since) {
					e.latest = o
				}
			}
		}
		if len(e.sessions) == 0 {
			e.disconnectedAt = now
		}
	}
	return true
}

func (p *presenceTable) online(lock string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e := p.locks[lock]
	return e != nil && len(e.sessions) > 0
}

func (p *presenceTable) setStatus(lock string, st LockStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.entryLocked(lock).status = st
}

func (p *presenceTable) forget(lock string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.locks[lock]; e != nil && len(e.sessions) == 0 {
		delete(p.locks, lock)
	}
}

func (p *presenceTable) get(lock string) (LockPresence, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e := p.locks[lock]
	if e == nil {
		return LockPresence{}, false
	}
	return e.snapshotLocked(lock), true
}

func (p *presenceTable) all() []LockPresence {
	p.mu.RLock()
	out := make([]LockPresence, 0, len(p.locks))
	for lock, e := range p.locks {
		out = append(out, e.snapshotLocked(lock))
	}
	p.mu.RUnlock()
	slices.SortFunc(out, func(a, b LockPresence) int { return strings.Compare(a.Lock, b.Lock) })
	return out
}

func (e *lockEntry) snapshotLocked(lock string) LockPresence {
	lp := LockPresence{
		Lock:           lock,
		Online:         len(e.sessions) > 0,
		Connections:    len(e.sessions),
		ConnectedSince: e.connectedSince,
		DisconnectedAt: e.disconnectedAt,
		Status:         e.status,
	}
	if ns := e.lastSeen.Load(); ns != 0 {
		lp.LastSeen = time.Unix(0, ns)
	}
	if s := e.latest; s != nil {
		lp.ClientID = s.cl.ID
		lp.RemoteAddr = s.remote
		lp.ProtocolVersion = s.cl.Properties.ProtocolVersion
	}
	return lp
}
