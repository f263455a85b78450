package store

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// Decide runs policy.Decide on one consistent snapshot of the view. It
// allocates nothing and does not touch the disk. It does not raise the clock
// mark: see NoteDecisionTime.
func (s *Store) Decide(now time.Time, req policy.Request) policy.Decision {
	s.mu.RLock()
	d := policy.Decide(now, req, s.st)
	s.mu.RUnlock()
	return d
}

// Explain runs policy.Explain on one consistent snapshot. The records in the
// result are copies.
func (s *Store) Explain(now time.Time, req policy.Request) policy.Explanation {
	s.mu.RLock()
	ex := policy.Explain(now, req, s.st)
	s.mu.RUnlock()
	if ex.Member != nil {
		m := *ex.Member
		ex.Member = &m
	}
	if ex.Lock != nil {
		l := *ex.Lock
		ex.Lock = &l
	}
	return ex
}

// View calls f with a consistent snapshot of the view. f must not keep the
// view, or anything it returns, after it returns, nor modify it, and must
// not call the store's write methods (Apply would deadlock).
func (s *Store) View(f func(policy.View)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f(s.st)
}

func sortedValues[T any](m map[string]*T, id func(*T) string) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(id(&a), id(&b)) })
	return out
}

// Domains returns copies of every domain, sorted by id.
func (s *Store) Domains() []policy.Domain {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.st.domains, func(d *policy.Domain) string { return d.ID })
}

// Locks returns copies of every lock, sorted by id.
func (s *Store) Locks() []policy.Lock {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.st.locks, func(l *policy.Lock) string { return l.ID })
}

// LockIDs calls f with the id of every lock, in no order, without copying
// the locks (for periodic checks over thousands of locks). f must not call
// the store.
func (s *Store) LockIDs(f func(id string)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for id := range s.st.locks {
		f(id)
	}
}

// Accesses returns copies of every access, sorted by id.
func (s *Store) Accesses() []policy.Access {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]policy.Access, 0, len(s.st.accesses))
	for _, a := range s.st.accesses {
		out = append(out, policy.Access{ID: a.ID, Domain: a.Domain, Name: a.Name, Origin: a.Origin,
			Locks: slices.Clone(a.Locks), Schedule: policy.Schedule{
				Windows: slices.Clone(a.Schedule.Windows), Holidays: slices.Clone(a.Schedule.Holidays)}})
	}
	slices.SortFunc(out, func(a, b policy.Access) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Member returns the member and its credential digests.
func (s *Store) Member(id string) (policy.Member, []policy.Credential, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.st.members[id]
	if e == nil || e.m == nil {
		return policy.Member{}, nil, false
	}
	return *e.m, slices.Clone(e.creds), true
}

// MemberIDs returns the ids of every member, sorted.
func (s *Store) MemberIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.st.members))
	for id, e := range s.st.members {
		if e.m != nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Grants returns a copy of the member's grants, sorted by grant key. It also
// returns grants of an id that names no member.
func (s *Store) Grants(member string) []policy.Grant {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.Grants(member).Slice()
}

// Cursor returns a sync cursor.
func (s *Store) Cursor(name string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.st.cursors[name]
	return v, ok
}

// LastSync returns when the domain's last successful Nexudus REST pass
// finished; zero if never.
func (s *Store) LastSync(domain string) time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.lastSync[domain]
}

// LastSyncs returns every domain's last successful sync time.
func (s *Store) LastSyncs() map[string]time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return maps.Clone(s.st.lastSync)
}

// LockState returns a lock's runtime state (the zero state if none is set).
func (s *Store) LockState(lock string) policy.LockState {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.lockStates[lock]
}

// Counts is the number of records of each kind, for the status page.
type Counts struct {
	Domains     int
	Locks       int
	Accesses    int
	Members     int
	Credentials int
	Grants      int
	LockStates  int
	Cursors     int
}

// Counts returns the number of records of each kind.
func (s *Store) Counts() Counts {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := Counts{Domains: len(s.st.domains), Locks: len(s.st.locks), Accesses: len(s.st.accesses),
		Credentials: s.st.nCreds, Grants: s.st.nGrants, LockStates: len(s.st.lockStates),
		Cursors: len(s.st.cursors)}
	for _, e := range s.st.members {
		if e.m != nil {
			c.Members++
		}
	}
	return c
}

// Cursors returns the cursors whose names start with prefix.
func (s *Store) Cursors(prefix string) map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]string{}
	for k, v := range s.st.cursors {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}
