package policy_test

import (
	"crypto/sha256"
	"testing"
	"time"

	// Embedded zone data keeps DST tests independent of the host's tzdata.
	_ "time/tzdata"

	"github.com/lockhub/lockhub/policy"
)

// holderKey indexes credential holders per domain.
type holderKey struct {
	domain string
	cred   policy.Credential
}

// mapView is a small map-based policy.View for tests and benchmarks. Its
// methods do not allocate.
type mapView struct {
	locks    map[string]*policy.Lock
	states   map[string]policy.LockState
	domains  map[string]*policy.Domain
	members  map[string]*policy.Member
	holders  map[holderKey][]string
	grants   map[string][]policy.Grant
	packed   map[string]policy.GrantList // grants as Grants returns them
	accesses map[string]*policy.Access
	lastSync map[string]time.Time
	clock    policy.ClockMark
}

var _ policy.View = (*mapView)(nil)

func newMapView() *mapView {
	return &mapView{
		locks:    map[string]*policy.Lock{},
		states:   map[string]policy.LockState{},
		domains:  map[string]*policy.Domain{},
		members:  map[string]*policy.Member{},
		holders:  map[holderKey][]string{},
		grants:   map[string][]policy.Grant{},
		packed:   map[string]policy.GrantList{},
		accesses: map[string]*policy.Access{},
		lastSync: map[string]time.Time{},
	}
}

func (v *mapView) Lock(id string) *policy.Lock           { return v.locks[id] }
func (v *mapView) LockState(id string) policy.LockState  { return v.states[id] }
func (v *mapView) Domain(id string) *policy.Domain       { return v.domains[id] }
func (v *mapView) Member(id string) *policy.Member       { return v.members[id] }
func (v *mapView) Grants(member string) policy.GrantList { return v.packed[member] }
func (v *mapView) Access(id string) *policy.Access       { return v.accesses[id] }
func (v *mapView) LastSync(domain string) time.Time      { return v.lastSync[domain] }
func (v *mapView) Clock() policy.ClockMark               { return v.clock }
func (v *mapView) Holders(domain string, c policy.Credential) []string {
	return v.holders[holderKey{domain, c}]
}

func (v *mapView) addDomain(d policy.Domain) *mapView { v.domains[d.ID] = &d; return v }
func (v *mapView) addLock(l policy.Lock) *mapView     { v.locks[l.ID] = &l; return v }
func (v *mapView) addMember(m policy.Member) *mapView { v.members[m.ID] = &m; return v }
func (v *mapView) addGrant(g policy.Grant) *mapView {
	v.grants[g.Member] = append(v.grants[g.Member], g)
	v.repack(g.Member)
	return v
}

// repack rebuilds the member's packed list after its grants changed.
func (v *mapView) repack(member string) {
	l, err := policy.PackGrants(member, v.grants[member])
	if err != nil {
		panic(err) // test data: strings are short
	}
	v.packed[member] = l
}
func (v *mapView) addAccess(a policy.Access) *mapView { a.Index(); v.accesses[a.ID] = &a; return v }
func (v *mapView) addHolder(domain string, c policy.Credential, member string) *mapView {
	k := holderKey{domain, c}
	v.holders[k] = append(v.holders[k], member)
	return v
}

// cred builds a credential whose digest is a plain hash of the canonical
// value; real digests are keyed (internal/keys), which policy does not care
// about.
func cred(tb testing.TB, t policy.CredentialType, raw string) policy.Credential {
	tb.Helper()
	c, err := policy.Canonical(t, raw)
	if err != nil {
		tb.Fatalf("Canonical(%v, %q): %v", t, raw, err)
	}
	return policy.Credential{Type: t, Digest: sha256.Sum256([]byte(t.String() + ":" + c))}
}

// zone loads an IANA zone or fails the test.
func zone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

// at returns the instant of a wall-clock time in loc; it fails the test when
// the wall-clock time does not exist or is ambiguous there, unless the
// caller asks for it with atOffset.
func at(tb testing.TB, loc *time.Location, y int, mo time.Month, d, h, mi int) time.Time {
	tb.Helper()
	t := time.Date(y, mo, d, h, mi, 0, 0, loc)
	if t.Hour() != h || t.Minute() != mi {
		tb.Fatalf("%d-%02d-%02d %02d:%02d does not exist in %v", y, mo, d, h, mi, loc)
	}
	return t
}

// atOffset returns the instant of a wall-clock time at a given UTC offset in
// seconds, for wall-clock times that happen twice.
func atOffset(tb testing.TB, loc *time.Location, y int, mo time.Month, d, h, mi, offset int) time.Time {
	tb.Helper()
	t := time.Date(y, mo, d, h, mi, 0, 0, time.UTC).Add(-time.Duration(offset) * time.Second).In(loc)
	if _, off := t.Zone(); off != offset || t.Hour() != h || t.Minute() != mi {
		tb.Fatalf("%d-%02d-%02d %02d:%02d at offset %d is not a wall-clock time in %v", y, mo, d, h, mi, offset, loc)
	}
	return t
}

// window builds a validated window from day names and HH:MM times.
func window(tb testing.TB, days, start, end string) policy.Window {
	tb.Helper()
	d, err := policy.ParseDays([]string{days})
	if err != nil {
		tb.Fatal(err)
	}
	s, err := policy.ParseClock(start)
	if err != nil {
		tb.Fatal(err)
	}
	e, err := policy.ParseClock(end)
	if err != nil {
		tb.Fatal(err)
	}
	w := policy.Window{Days: d, Start: s, End: e}
	if err := w.Validate(); err != nil {
		tb.Fatal(err)
	}
	return w
}

// schedule builds a schedule or fails the test.
func schedule(tb testing.TB, windows []policy.Window, holidays ...string) policy.Schedule {
	tb.Helper()
	var hs []policy.Date
	for _, h := range holidays {
		d, err := policy.ParseDate(h)
		if err != nil {
			tb.Fatal(err)
		}
		hs = append(hs, d)
	}
	s, err := policy.NewSchedule(windows, hs)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
