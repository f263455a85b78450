package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// mode selects the write and publish paths of Apply.
type mode struct {
	name        string
	directLimit int // -1: always the journal
	swapMin     int // 0: always swap a copy
}

var modes = []mode{
	{"direct/in-place", defaultDirectLimit, 1 << 30},
	{"direct/swap", defaultDirectLimit, 0},
	{"journal/in-place", -1, 1 << 30},
	{"journal/swap", -1, 0},
}

func gk(o policy.Origin, k policy.GrantKind, ref string) policy.GrantKey {
	return policy.GrantKey{Origin: o, Kind: k, Reference: ref}
}

func grantRefs(s *Store, member string) string {
	var refs []string
	for _, g := range s.Grants(member) {
		refs = append(refs, g.Reference)
	}
	return strings.Join(refs, ",")
}

func TestBatchSemantics(t *testing.T) {
	card := digest(t, policy.CredCard, "04A1B2C3")
	pin := digest(t, policy.CredPIN, "1234")
	newCard := digest(t, policy.CredCard, "99")
	alice := policy.Member{ID: "alice", Domain: "hq", Name: "Alice", Status: policy.StatusActive, Origin: policy.OriginNexudusREST}
	decide := func(s *Store, c policy.Credential, lock string) policy.Decision {
		return s.Decide(t0, policy.Request{Lock: lock, Credential: c})
	}
	tests := []struct {
		name  string
		build func(b *Batch)
		check func(t *testing.T, s *Store)
	}{
		{"delete member cascades", func(b *Batch) { b.DeleteMember("alice") }, func(t *testing.T, s *Store) {
			if _, _, ok := s.Member("alice"); ok {
				t.Error("alice still there")
			}
			if g := grantRefs(s, "alice"); g != "" {
				t.Errorf("alice grants = %s", g)
			}
			if d := decide(s, card, "front"); d.Reason != policy.ReasonUnknownCredential {
				t.Errorf("alice's card: %v", d.Reason)
			}
			if d := decide(s, pin, "front"); d.Reason != policy.ReasonAllowed || d.Member != "bob" {
				t.Errorf("pin now bob's alone: %+v", d)
			}
			if c := s.Counts(); c.Grants != 2 || c.Members != 2 || c.Credentials != 3 {
				t.Errorf("Counts = %+v", c)
			}
		}},
		{"put member replaces credentials", func(b *Batch) { b.PutMember(alice, []policy.Credential{newCard, newCard}) }, func(t *testing.T, s *Store) {
			if d := decide(s, card, "front"); d.Reason != policy.ReasonUnknownCredential {
				t.Errorf("old card: %v", d.Reason)
			}
			if d := decide(s, newCard, "front"); d.Reason != policy.ReasonAllowed || d.Member != "alice" {
				t.Errorf("new card: %+v", d)
			}
			if d := decide(s, pin, "front"); d.Member != "bob" {
				t.Errorf("pin: %+v", d)
			}
			if _, creds, _ := s.Member("alice"); len(creds) != 1 {
				t.Errorf("alice creds = %d, want 1 (duplicates dropped)", len(creds))
			}
			if g := grantRefs(s, "alice"); g != "c-1,alice/all" {
				t.Errorf("alice grants = %s, want untouched", g)
			}
		}},
		{"delete member then put grant", func(b *Batch) {
			b.DeleteMember("alice")
			b.PutGrant(policy.Grant{GrantKey: gk(policy.OriginAdmin, policy.KindManual, "later"), Member: "alice", Access: "all"})
		}, func(t *testing.T, s *Store) {
			if g := grantRefs(s, "alice"); g != "later" {
				t.Errorf("alice grants = %q, want later", g)
			}
			if s.Counts().Members != 2 {
				t.Errorf("Counts = %+v", s.Counts())
			}
		}},
		{"put grant then delete member", func(b *Batch) {
			b.PutGrant(policy.Grant{GrantKey: gk(policy.OriginAdmin, policy.KindManual, "early"), Member: "alice", Access: "all"})
			b.DeleteMember("alice")
		}, func(t *testing.T, s *Store) {
			if g := grantRefs(s, "alice"); g != "" {
				t.Errorf("alice grants = %q", g)
			}
		}},
		{"grant moves to another member", func(b *Batch) {
			b.PutGrant(policy.Grant{GrantKey: gk(policy.OriginConfig, policy.KindManual, "bob-all"), Member: "alice", Access: "all"})
		}, func(t *testing.T, s *Store) {
			if g := grantRefs(s, "bob"); g != "" {
				t.Errorf("bob grants = %q", g)
			}
			if g := grantRefs(s, "alice"); g != "bob-all,c-1,alice/all" {
				t.Errorf("alice grants = %q (sorted by origin, kind, reference)", g)
			}
		}},
		{"delete grant", func(b *Batch) { b.DeleteGrant(gk(policy.OriginNexudusREST, policy.KindContract, "c-1")) }, func(t *testing.T, s *Store) {
			if g := grantRefs(s, "alice"); g != "alice/all" {
				t.Errorf("alice grants = %q", g)
			}
		}},
		{"replace origin config", func(b *Batch) {
			b.ReplaceOrigin(policy.OriginConfig)
			b.PutDomain(policy.Domain{ID: "hq", Zone: mustZone(t, "Europe/Berlin"), Origin: policy.OriginConfig})
			b.PutLock(policy.Lock{ID: "front", Domain: "hq", Origin: policy.OriginConfig})
		}, func(t *testing.T, s *Store) {
			if l := s.Locks(); len(l) != 1 || l[0].ID != "front" {
				t.Errorf("locks = %+v", l)
			}
			if st := s.LockState("garage"); st.Lockdown {
				t.Error("removed lock kept its state")
			}
			if a := s.Accesses(); len(a) != 1 || a[0].ID != "office" {
				t.Errorf("accesses = %+v", a)
			}
			if _, _, ok := s.Member("bob"); ok {
				t.Error("config member bob kept")
			}
			for _, m := range []string{"alice", "carol"} {
				if _, _, ok := s.Member(m); !ok {
					t.Errorf("member %s of another origin removed", m)
				}
			}
			if g := grantRefs(s, "alice"); g != "c-1,alice/all" {
				t.Errorf("alice grants = %q", g)
			}
			if g := grantRefs(s, "carol"); g != "carol-all" {
				t.Errorf("carol grants = %q", g)
			}
			if d := s.Domains(); len(d) != 1 || d[0].Name != "" {
				t.Errorf("domains = %+v, want hq re-put", d)
			}
			if _, ok := s.Cursor("nexudus/coworkers"); !ok {
				t.Error("cursor removed")
			}
		}},
		{"replace origin keeps re-put member", func(b *Batch) {
			b.ReplaceOrigin(policy.OriginNexudusREST)
			b.PutMember(alice, []policy.Credential{card})
		}, func(t *testing.T, s *Store) {
			if g := grantRefs(s, "alice"); g != "alice/all" {
				t.Errorf("alice grants = %q, want only the webhook one", g)
			}
			if a := s.Accesses(); len(a) != 1 || a[0].ID != "all" {
				t.Errorf("accesses = %+v", a)
			}
			if g := grantRefs(s, "bob"); g != "bob-all" {
				t.Errorf("bob grants = %q", g)
			}
		}},
		{"replace origin drops member and all its grants", func(b *Batch) {
			b.ReplaceOrigin(policy.OriginNexudusREST)
			b.PutGrant(policy.Grant{GrantKey: gk(policy.OriginNexudusREST, policy.KindBooking, "b-1"), Member: "alice", Access: "all"})
		}, func(t *testing.T, s *Store) {
			if _, _, ok := s.Member("alice"); ok {
				t.Error("alice kept")
			}
			if g := grantRefs(s, "alice"); g != "" {
				t.Errorf("alice grants = %q", g)
			}
			if d := decide(s, pin, "front"); d.Member != "bob" {
				t.Errorf("pin: %+v", d)
			}
		}},
		{"delete lock deletes its state", func(b *Batch) { b.DeleteLock("garage") }, func(t *testing.T, s *Store) {
			if st := s.LockState("garage"); st != (policy.LockState{}) {
				t.Errorf("state = %+v", st)
			}
			if d := decide(s, card, "garage"); d.Reason != policy.ReasonUnknownLock {
				t.Errorf("garage: %v", d.Reason)
			}
		}},
		{"clear lock state", func(b *Batch) { b.SetLockState("garage", policy.LockState{}) }, func(t *testing.T, s *Store) {
			if d := decide(s, card, "garage"); d.Reason != policy.ReasonAllowed {
				t.Errorf("garage: %v", d.Reason)
			}
			if c := s.Counts(); c.LockStates != 0 {
				t.Errorf("Counts = %+v", c)
			}
		}},
		{"release overrides lockdown", func(b *Batch) { b.SetLockState("garage", policy.LockState{Lockdown: true, Released: true}) }, func(t *testing.T, s *Store) {
			if d := decide(s, card, "garage"); d.Reason != policy.ReasonAllowed {
				t.Errorf("garage: %v", d.Reason)
			}
		}},
		{"cursor and last sync deleted", func(b *Batch) {
			b.SetCursor("nexudus/coworkers", "")
			b.SetLastSync("hq", time.Time{})
		}, func(t *testing.T, s *Store) {
			if _, ok := s.Cursor("nexudus/coworkers"); ok {
				t.Error("cursor kept")
			}
			if !s.LastSync("hq").IsZero() {
				t.Error("last sync kept")
			}
			if d := s.Decide(t0, policy.Request{Lock: "front", Member: "alice"}); d.Reason != policy.ReasonAllowed {
				t.Errorf("alice (bounded webhook grant still valid): %v", d.Reason)
			}
		}},
		{"member domain change reindexes credentials", func(b *Batch) {
			b.PutDomain(policy.Domain{ID: "annex", Zone: mustZone(t, "UTC"), Origin: policy.OriginConfig})
			a := alice
			a.Domain = "annex"
			b.PutMember(a, []policy.Credential{card, pin})
		}, func(t *testing.T, s *Store) {
			if d := decide(s, card, "front"); d.Reason != policy.ReasonUnknownCredential {
				t.Errorf("card in hq: %v", d.Reason)
			}
			if d := decide(s, pin, "front"); d.Member != "bob" {
				t.Errorf("pin in hq: %+v", d)
			}
			var holders []string
			s.View(func(v policy.View) { holders = v.Holders("annex", card) })
			if len(holders) != 1 || holders[0] != "alice" {
				t.Errorf("annex holders = %v", holders)
			}
		}},
	}
	for _, m := range modes {
		for _, tt := range tests {
			t.Run(m.name+"/"+tt.name, func(t *testing.T) {
				s, dir := openTemp(t)
				apply(t, s, fixtureBatch(t))
				s.directLimit, s.swapMin = m.directLimit, m.swapMin
				b := NewBatch()
				tt.build(b)
				apply(t, s, b)
				if tt.check != nil {
					tt.check(t, s)
				}
				if s.st.nCreds != countCreds(s.st) {
					t.Errorf("credential count %d, want %d", s.st.nCreds, countCreds(s.st))
				}
				mem := dump(s)
				s = reopen(t, s, dir)
				if got := dump(s); got != mem {
					t.Errorf("view after reopen differs from view before:\n%s\nbefore:\n%s", got, mem)
				}
				if tt.check != nil {
					tt.check(t, s)
				}
			})
		}
	}
}

func countCreds(st *state) int {
	n := 0
	for _, e := range st.members {
		if e.m != nil {
			n += len(e.creds)
		}
	}
	return n
}

func TestBatchInvalid(t *testing.T) {
	long := strings.Repeat("x", maxStringLen+1)
	tests := []struct {
		name  string
		build func(b *Batch)
	}{
		{"grant without kind", func(b *Batch) {
			b.PutGrant(policy.Grant{GrantKey: gk(policy.OriginAdmin, policy.KindUnknown, "r"), Member: "m", Access: "a"})
		}},
		{"grant without origin", func(b *Batch) {
			b.PutGrant(policy.Grant{GrantKey: gk(policy.OriginUnknown, policy.KindManual, "r"), Member: "m", Access: "a"})
		}},
		{"grant without member", func(b *Batch) {
			b.PutGrant(policy.Grant{GrantKey: gk(policy.OriginAdmin, policy.KindManual, "r"), Access: "a"})
		}},
		{"member without id", func(b *Batch) { b.PutMember(policy.Member{Origin: policy.OriginAdmin}, nil) }},
		{"member with unknown credential", func(b *Batch) {
			b.PutMember(policy.Member{ID: "m", Origin: policy.OriginAdmin}, []policy.Credential{{}})
		}},
		{"member name too long", func(b *Batch) { b.PutMember(policy.Member{ID: "m", Name: long, Origin: policy.OriginAdmin}, nil) }},
		{"domain without zone", func(b *Batch) { b.PutDomain(policy.Domain{ID: "d", Origin: policy.OriginConfig}) }},
		{"domain with unloadable zone", func(b *Batch) {
			b.PutDomain(policy.Domain{ID: "d", Zone: fixedZone(), Origin: policy.OriginConfig})
		}},
		{"access with bad window", func(b *Batch) {
			b.PutAccess(policy.Access{ID: "a", Origin: policy.OriginConfig, Schedule: policy.Schedule{Windows: []policy.Window{{Days: 1, Start: 60, End: 60}}}})
		}},
		{"lock without origin", func(b *Batch) { b.PutLock(policy.Lock{ID: "l"}) }},
		{"replace unknown origin", func(b *Batch) { b.ReplaceOrigin(policy.OriginUnknown) }},
		{"empty cursor name", func(b *Batch) { b.SetCursor("", "v") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTemp(t)
			apply(t, s, fixtureBatch(t))
			before := dump(s)
			b := NewBatch()
			b.DeleteMember("alice") // valid ops in the same batch must not land either
			tt.build(b)
			if err := s.Apply(t.Context(), b); err == nil {
				t.Fatal("Apply accepted an invalid batch")
			}
			if got := dump(s); got != before {
				t.Errorf("invalid batch changed the view:\n%s", got)
			}
		})
	}
}

func TestApplyClosed(t *testing.T) {
	s, _ := openTemp(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(t.Context(), fixtureBatch(t)); !errors.Is(err, errClosed) {
		t.Errorf("Apply after Close = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func fixedZone() *time.Location { return time.FixedZone("Nowhere/Special", 3600) }
