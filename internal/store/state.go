package store

import (
	"maps"
	"sync/atomic"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// credKey indexes credentials by domain: a PIN is looked up per domain.
type credKey struct {
	domain string
	cred   policy.Credential
}

// memberEntry is everything the view knows about one member id. Entries are
// immutable once published: a change builds a new entry.
type memberEntry struct {
	m      *policy.Member      // nil when only grants name this id; else &own
	creds  []policy.Credential // digests only
	grants policy.GrantList    // sorted by grant key
	own    policy.Member       // m's storage: one allocation, fewer cache misses per decision
}

// setMember makes e hold a copy of m (or no member when m is nil).
func (e *memberEntry) setMember(m *policy.Member) {
	if m == nil {
		e.m, e.own = nil, policy.Member{}
		return
	}
	e.own = *m
	e.m = &e.own
}

// state is the in-memory view Decide reads. Readers hold Store.mu for
// reading for the whole of one decision; Apply mutates a state only under
// Store.mu held for writing, or swaps in a whole new one.
type state struct {
	domains    map[string]*policy.Domain
	locks      map[string]*policy.Lock
	accesses   map[string]*policy.Access
	members    map[string]*memberEntry
	holders    map[credKey][]string // sorted member ids
	lockStates map[string]policy.LockState
	cursors    map[string]string
	lastSync   map[string]time.Time
	revs       map[RevocationKey]*Revocation // admin revocations (revoke.go)
	suspended  map[string]*policy.Member     // revoked members that exist, as suspended copies
	clock      *clockMark                    // shared by every state of one store
	nCreds     int
	nGrants    int
}

func newState(c *clockMark) *state {
	return &state{
		domains:    map[string]*policy.Domain{},
		locks:      map[string]*policy.Lock{},
		accesses:   map[string]*policy.Access{},
		members:    map[string]*memberEntry{},
		holders:    map[credKey][]string{},
		lockStates: map[string]policy.LockState{},
		cursors:    map[string]string{},
		lastSync:   map[string]time.Time{},
		revs:       map[RevocationKey]*Revocation{},
		suspended:  map[string]*policy.Member{},
		clock:      c,
	}
}

// clone copies the maps (not the records, which are immutable).
func (s *state) clone() *state {
	return &state{
		domains:    maps.Clone(s.domains),
		locks:      maps.Clone(s.locks),
		accesses:   maps.Clone(s.accesses),
		members:    maps.Clone(s.members),
		holders:    maps.Clone(s.holders),
		lockStates: maps.Clone(s.lockStates),
		cursors:    maps.Clone(s.cursors),
		lastSync:   maps.Clone(s.lastSync),
		revs:       maps.Clone(s.revs),
		suspended:  maps.Clone(s.suspended),
		clock:      s.clock,
		nCreds:     s.nCreds,
		nGrants:    s.nGrants,
	}
}

// The policy.View implementation. Methods allocate nothing.

var _ policy.View = (*state)(nil)

func (s *state) Lock(id string) *policy.Lock          { return s.locks[id] }
func (s *state) LockState(id string) policy.LockState { return s.lockStates[id] }
func (s *state) Domain(id string) *policy.Domain      { return s.domains[id] }
func (s *state) Access(id string) *policy.Access      { return s.accesses[id] }
func (s *state) LastSync(domain string) time.Time     { return s.lastSync[domain] }
func (s *state) Clock() policy.ClockMark              { return s.clock.mark() }
func (s *state) Holders(domain string, c policy.Credential) []string {
	if s.revokedCredential(domain, c) {
		return nil
	}
	return s.holders[credKey{domain: domain, cred: c}]
}

func (s *state) Member(id string) *policy.Member {
	if len(s.suspended) > 0 {
		if m := s.suspended[id]; m != nil {
			return m
		}
	}
	if e := s.members[id]; e != nil {
		return e.m
	}
	return nil
}

func (s *state) Grants(member string) policy.GrantList {
	if e := s.members[member]; e != nil {
		return e.grants
	}
	return policy.GrantList{}
}

// delta is a batch resolved against a state: the new values of every map
// entry it changes. A nil pointer (or a nil holder list) deletes.
type delta struct {
	domains    map[string]*policy.Domain
	locks      map[string]*policy.Lock
	accesses   map[string]*policy.Access
	members    map[string]*memberEntry
	holders    map[credKey][]string
	lockStates map[string]*policy.LockState
	cursors    map[string]*string
	lastSync   map[string]*time.Time
	revs       map[RevocationKey]*Revocation
	suspended  map[string]*policy.Member
	dCreds     int
	dGrants    int
}

// size estimates the work of applying the delta in place.
func (d *delta) size() int {
	return len(d.domains) + len(d.locks) + len(d.accesses) + len(d.members) +
		len(d.holders) + len(d.lockStates) + len(d.cursors) + len(d.lastSync) +
		len(d.revs) + len(d.suspended)
}

func applyPtrs[K comparable, V any](m map[K]*V, d map[K]*V) {
	for k, v := range d {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
}

func applyVals[K comparable, V any](m map[K]V, d map[K]*V) {
	for k, v := range d {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = *v
		}
	}
}

// apply writes the delta into s. It only assigns prepared values.
func (s *state) apply(d *delta) {
	applyPtrs(s.domains, d.domains)
	applyPtrs(s.locks, d.locks)
	applyPtrs(s.accesses, d.accesses)
	applyPtrs(s.members, d.members)
	for k, h := range d.holders {
		if len(h) == 0 {
			delete(s.holders, k)
		} else {
			s.holders[k] = h
		}
	}
	applyVals(s.lockStates, d.lockStates)
	applyVals(s.cursors, d.cursors)
	applyVals(s.lastSync, d.lastSync)
	if s.revs == nil && len(d.revs) > 0 {
		s.revs = map[RevocationKey]*Revocation{}
	}
	applyPtrs(s.revs, d.revs)
	if s.suspended == nil && len(d.suspended) > 0 {
		s.suspended = map[string]*policy.Member{}
	}
	applyPtrs(s.suspended, d.suspended)
	s.nCreds += d.dCreds
	s.nGrants += d.dGrants
}

// clockMark is the newest decision time, kept as Unix nanoseconds (0: none).
type clockMark struct {
	newest    atomic.Int64
	persisted atomic.Int64 // the value last written to Badger
	tolerance time.Duration
}

func (c *clockMark) mark() policy.ClockMark {
	m := policy.ClockMark{Tolerance: c.tolerance}
	if n := c.newest.Load(); n != 0 {
		m.Newest = time.Unix(0, n).UTC()
	}
	return m
}

// note raises the mark to t if t is newer.
func (c *clockMark) note(t time.Time) {
	n := t.UnixNano()
	for {
		cur := c.newest.Load()
		if n <= cur || c.newest.CompareAndSwap(cur, n) {
			return
		}
	}
}
