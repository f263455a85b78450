package store

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // zones on a bare box

	"github.com/lockhub/lockhub/policy"
)

// testKey keys credential digests in tests the way internal/keys does (the
// store never sees raw values; it must not import keys).
var testKey = []byte("lockhub-store-test-credential-key")

func digest(tb testing.TB, t policy.CredentialType, raw string) policy.Credential {
	tb.Helper()
	c, err := policy.Canonical(t, raw)
	if err != nil {
		tb.Fatalf("Canonical(%v): %v", t, err)
	}
	h := hmac.New(sha256.New, testKey)
	h.Write([]byte{byte(t)})
	h.Write([]byte(c))
	var d policy.Digest
	copy(d[:], h.Sum(nil))
	return policy.Credential{Type: t, Digest: d}
}

func openAt(tb testing.TB, dir string) *Store {
	tb.Helper()
	s, err := Open(Config{Dir: dir})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return s
}

// openTemp opens a store in a new temp dir, closed at cleanup.
func openTemp(tb testing.TB) (*Store, string) {
	tb.Helper()
	dir := tb.TempDir()
	s := openAt(tb, dir)
	tb.Cleanup(func() { s.Close() })
	return s, dir
}

// reopen closes s and opens its directory again (closed at cleanup).
func reopen(tb testing.TB, s *Store, dir string) *Store {
	tb.Helper()
	if err := s.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	n := openAt(tb, dir)
	tb.Cleanup(func() { n.Close() })
	return n
}

func apply(tb testing.TB, s *Store, b *Batch) {
	tb.Helper()
	if err := s.Apply(tb.Context(), b); err != nil {
		tb.Fatalf("Apply: %v", err)
	}
}

func mustZone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	z, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return z
}

// dump renders everything the store's read side shows (but the epoch), so
// that two stores, or one store before and after a reopen, can be compared
// whole.
func dump(s *Store) string {
	var b strings.Builder
	for _, d := range s.Domains() {
		fmt.Fprintf(&b, "domain %s %q zone=%v ret=%v nx=%q %v\n", d.ID, d.Name, d.Zone, d.Retention, d.NexudusBusiness, d.Origin)
	}
	for _, l := range s.Locks() {
		fmt.Fprintf(&b, "lock %+v state=%+v\n", l, fmtState(s.LockState(l.ID)))
	}
	for _, a := range s.Accesses() {
		fmt.Fprintf(&b, "access %s %s %q locks=%v win=%v hol=%v %v\n", a.ID, a.Domain, a.Name, a.Locks, a.Schedule.Windows, a.Schedule.Holidays, a.Origin)
	}
	s.mu.RLock()
	st := s.st
	ids := make([]string, 0, len(st.members))
	for id := range st.members {
		ids = append(ids, id)
	}
	lockStates := make([]string, 0, len(st.lockStates))
	for id, ls := range st.lockStates {
		lockStates = append(lockStates, id+" "+fmtState(ls))
	}
	cursors := make([]string, 0, len(st.cursors))
	for k, v := range st.cursors {
		cursors = append(cursors, k+"="+v)
	}
	holders := make([]string, 0, len(st.holders))
	for k, v := range st.holders {
		holders = append(holders, fmt.Sprintf("%s/%v/%x=%v", k.domain, k.cred.Type, k.cred.Digest[:4], v))
	}
	s.mu.RUnlock()
	sortStrings(ids, lockStates, cursors, holders)
	for _, id := range ids {
		if m, creds, ok := s.Member(id); ok {
			fmt.Fprintf(&b, "member %+v creds=%d:", m, len(creds))
			for _, c := range creds {
				fmt.Fprintf(&b, " %v/%x", c.Type, c.Digest[:6])
			}
			b.WriteString("\n")
		}
		for _, g := range s.Grants(id) {
			fmt.Fprintf(&b, "grant %s member=%s access=%s from=%s until=%s\n", g.GrantKey, g.Member, g.Access, fmtTime(g.From), fmtTime(g.Until))
		}
	}
	for _, l := range [][]string{lockStates, cursors, holders} {
		for _, x := range l {
			b.WriteString(x + "\n")
		}
	}
	syncs := s.LastSyncs()
	doms := make([]string, 0, len(syncs))
	for d, t := range syncs {
		doms = append(doms, d+" "+fmtTime(t))
	}
	sortStrings(doms)
	for _, d := range doms {
		b.WriteString("lastsync " + d + "\n")
	}
	fmt.Fprintf(&b, "counts %+v\n", s.Counts())
	return b.String()
}

func sortStrings(ls ...[]string) {
	for _, l := range ls {
		for i := 1; i < len(l); i++ {
			for j := i; j > 0 && l[j] < l[j-1]; j-- {
				l[j], l[j-1] = l[j-1], l[j]
			}
		}
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func fmtState(s policy.LockState) string {
	return fmt.Sprintf("lockdown=%v released=%v keypad=%s", s.Lockdown, s.Released, fmtTime(s.KeypadLockedUntil))
}

// Fixture: one domain "hq", locks, accesses, members with credentials and
// grants, of several origins.

var (
	t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) // a Monday, 11:00 in Berlin
)

func fixtureBatch(tb testing.TB) *Batch {
	tb.Helper()
	b := NewBatch()
	b.PutDomain(policy.Domain{ID: "hq", Name: "HQ", Zone: mustZone(tb, "Europe/Berlin"), Retention: 48 * time.Hour, NexudusBusiness: "biz-1", Origin: policy.OriginConfig})
	b.PutLock(policy.Lock{ID: "front", Domain: "hq", Name: "Front door", OfflineHorizon: 7 * 24 * time.Hour, CheckIn: true, FailMode: policy.FailSafe, KeyGeneration: 3, Origin: policy.OriginConfig})
	b.PutLock(policy.Lock{ID: "garage", Domain: "hq", Name: "Garage", UnlockDuration: 9 * time.Second, Origin: policy.OriginConfig})
	office := policy.Window{Days: 0b0111110, Start: 8 * 60, End: 18 * 60}
	night := policy.Window{Days: policy.AllDays, Start: 22 * 60, End: 6 * 60}
	b.PutAccess(policy.Access{ID: "all", Domain: "hq", Name: "Everything", Locks: []string{"front", "garage"}, Origin: policy.OriginConfig})
	b.PutAccess(policy.Access{ID: "office", Domain: "hq", Name: "Office hours", Locks: []string{"front"},
		Schedule: policy.Schedule{Windows: []policy.Window{office, night}, Holidays: []policy.Date{20261225, 20261124}}, Origin: policy.OriginNexudusREST})
	b.PutMember(policy.Member{ID: "alice", Domain: "hq", Name: "Alice", Email: "a@example.org", Status: policy.StatusActive, Origin: policy.OriginNexudusREST},
		[]policy.Credential{digest(tb, policy.CredCard, "04:A1:B2:C3"), digest(tb, policy.CredPIN, "1234")})
	b.PutMember(policy.Member{ID: "bob", Domain: "hq", Name: "Bob", Status: policy.StatusActive, Origin: policy.OriginConfig},
		[]policy.Credential{digest(tb, policy.CredFob, "DEADBEEF"), digest(tb, policy.CredPIN, "1234")})
	b.PutMember(policy.Member{ID: "carol", Domain: "hq", Name: "Carol", Status: policy.StatusSuspended, Origin: policy.OriginAdmin},
		[]policy.Credential{digest(tb, policy.CredPhone, "phone-key-0123456789abcdef")})
	b.PutGrant(policy.Grant{GrantKey: policy.GrantKey{Origin: policy.OriginNexudusREST, Kind: policy.KindContract, Reference: "c-1"}, Member: "alice", Access: "office", From: t0.Add(-24 * time.Hour)})
	b.PutGrant(policy.Grant{GrantKey: policy.GrantKey{Origin: policy.OriginWebhook, Kind: policy.KindGroup, Reference: "alice/all"}, Member: "alice", Access: "all", Until: t0.Add(time.Hour)})
	b.PutGrant(policy.Grant{GrantKey: policy.GrantKey{Origin: policy.OriginConfig, Kind: policy.KindManual, Reference: "bob-all"}, Member: "bob", Access: "all"})
	b.PutGrant(policy.Grant{GrantKey: policy.GrantKey{Origin: policy.OriginAdmin, Kind: policy.KindManual, Reference: "carol-all"}, Member: "carol", Access: "all", From: t0, Until: t0.Add(time.Hour)})
	b.SetCursor("nexudus/coworkers", "2026-11-23T09:00:00Z")
	b.SetLastSync("hq", t0.Add(-time.Hour))
	b.SetLockState("garage", policy.LockState{Lockdown: true, KeypadLockedUntil: t0.Add(time.Minute)})
	return b
}
