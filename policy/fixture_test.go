package policy_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// Credentials of the fixture, by name. PIN 5555 is held by bob and cara in
// sto (ambiguous there) and by nora in nyc (fine there).
type fixtureCred struct {
	name, domain, member string
	typ                  policy.CredentialType
	raw                  string
}

func fixtureCreds() []fixtureCred {
	return []fixtureCred{
		{"alice-card", "sto", "alice", policy.CredCard, "04:a1:b2:c3"},
		{"alice-pin", "sto", "alice", policy.CredPIN, "1234"},
		{"alice-phone", "sto", "alice", policy.CredPhone, "phone-key-of-alice-0001"},
		{"bob-pin", "sto", "bob", policy.CredPIN, "5555"},
		{"cara-pin", "sto", "cara", policy.CredPIN, "5555"},
		{"nora-pin", "nyc", "nora", policy.CredPIN, "5555"},
		{"nora-card", "nyc", "nora", policy.CredCard, "0B0B"},
		{"sam-card", "sto", "sam", policy.CredCard, "5A"},
		{"ina-card", "sto", "ina", policy.CredCard, "1A"},
		{"arc-card", "sto", "arc", policy.CredCard, "2A"},
		{"unk-card", "sto", "unk", policy.CredCard, "3A"},
		{"ghost-card", "sto", "ghost", policy.CredCard, "DEAD"}, // no member record
		{"dave-card", "sto", "dave", policy.CredCard, "7777"},
		{"dave-card-again", "sto", "dave", policy.CredCard, "7777"}, // same member twice
	}
}

// fixture is the shared test world: two real zones, one zone-less domain,
// locks with default and custom policies, and accesses with the schedules
// the tests need. Grants are added per case.
func fixture(tb testing.TB) *mapView {
	tb.Helper()
	sto, nyc := zone(tb, "Europe/Stockholm"), zone(tb, "America/New_York")
	v := newMapView().
		addDomain(policy.Domain{ID: "sto", Name: "Stockholm office", Zone: sto, Origin: policy.OriginConfig}).
		addDomain(policy.Domain{ID: "nyc", Name: "New York office", Zone: nyc, Origin: policy.OriginConfig}).
		addDomain(policy.Domain{ID: "nozone", Name: "no zone"}).
		addLock(policy.Lock{ID: "front", Domain: "sto"}).
		addLock(policy.Lock{ID: "garage", Domain: "sto", OfflineHorizon: 48 * time.Hour, UnlockDuration: 8 * time.Second}).
		addLock(policy.Lock{ID: "ny-door", Domain: "nyc"}).
		addLock(policy.Lock{ID: "orphan", Domain: "gone"}).
		addLock(policy.Lock{ID: "limbo", Domain: "nozone"})
	for _, m := range []struct {
		id, domain string
		st         policy.MemberStatus
	}{
		{"alice", "sto", policy.StatusActive}, {"bob", "sto", policy.StatusActive},
		{"cara", "sto", policy.StatusActive}, {"dave", "sto", policy.StatusActive},
		{"sam", "sto", policy.StatusSuspended}, {"ina", "sto", policy.StatusInactive},
		{"arc", "sto", policy.StatusArchived}, {"unk", "sto", policy.StatusUnknown},
		{"nora", "nyc", policy.StatusActive},
	} {
		v.addMember(policy.Member{ID: m.id, Domain: m.domain, Name: m.id, Status: m.st, Origin: policy.OriginConfig})
	}
	for _, c := range fixtureCreds() {
		v.addHolder(c.domain, cred(tb, c.typ, c.raw), c.member)
	}
	acc := func(id, domain string, locks []string, s policy.Schedule) {
		v.addAccess(policy.Access{ID: id, Domain: domain, Name: id, Locks: locks, Schedule: s, Origin: policy.OriginConfig})
	}
	front := []string{"front"}
	acc("anytime", "sto", []string{"front", "garage", "limbo"}, policy.Schedule{})
	acc("garage-only", "sto", []string{"garage"}, policy.Schedule{})
	acc("other-domain", "nyc", front, policy.Schedule{}) // same lock id, wrong domain
	acc("ny-any", "nyc", []string{"ny-door"}, policy.Schedule{})
	acc("office", "sto", front, schedule(tb, []policy.Window{window(tb, "mon-fri", "08:00", "18:00")}, "2026-12-25"))
	acc("closed-xmas", "sto", front, schedule(tb, nil, "2026-12-25"))
	acc("fri-night", "sto", front, schedule(tb, []policy.Window{window(tb, "fri", "22:00", "06:00")}))
	acc("midsummer-day", "sto", front, schedule(tb, []policy.Window{window(tb, "fri", "22:00", "06:00")}, "2026-06-20"))
	acc("midsummer-eve", "sto", front, schedule(tb, []policy.Window{window(tb, "fri", "22:00", "06:00")}, "2026-06-19"))
	acc("sun-night", "sto", front, schedule(tb, []policy.Window{window(tb, "sun", "22:00", "06:00")}))
	acc("sat-night", "sto", front, schedule(tb, []policy.Window{window(tb, "sat", "22:00", "06:00")}))
	acc("sto-0200", "sto", front, schedule(tb, []policy.Window{window(tb, "sun", "02:00", "03:00")}))
	acc("sto-day", "sto", front, schedule(tb, []policy.Window{window(tb, "all", "08:00", "18:00")}))
	acc("ny-0100", "nyc", []string{"ny-door"}, schedule(tb, []policy.Window{window(tb, "sun", "01:00", "02:00")}))
	acc("ny-0200", "nyc", []string{"ny-door"}, schedule(tb, []policy.Window{window(tb, "sun", "02:00", "03:00")}))
	acc("ny-day", "nyc", []string{"ny-door"}, schedule(tb, []policy.Window{window(tb, "all", "08:00", "18:00")}))
	return v
}

// credByName returns a fixture credential.
func credByName(tb testing.TB, name string) policy.Credential {
	tb.Helper()
	for _, c := range fixtureCreds() {
		if c.name == name {
			return cred(tb, c.typ, c.raw)
		}
	}
	tb.Fatalf("no fixture credential %q", name)
	return policy.Credential{}
}

// grantOpt changes a grant built by grant.
type grantOpt func(*policy.Grant)

func from(t time.Time) grantOpt  { return func(g *policy.Grant) { g.From = t } }
func until(t time.Time) grantOpt { return func(g *policy.Grant) { g.Until = t } }
func origin(o policy.Origin, k policy.GrantKind) grantOpt {
	return func(g *policy.Grant) { g.Origin, g.Kind = o, k }
}

// grant builds a config/manual grant of an access to a member.
func grant(ref, member, access string, opts ...grantOpt) policy.Grant {
	g := policy.Grant{
		GrantKey: policy.GrantKey{Origin: policy.OriginConfig, Kind: policy.KindManual, Reference: ref},
		Member:   member,
		Access:   access,
	}
	for _, o := range opts {
		o(&g)
	}
	return g
}

// decideCase is one row of a Decide table. The expected decision is built
// from want, member and grant (a reference among the case's grants); unlock
// defaults to policy.DefaultUnlockDuration when allowed.
type decideCase struct {
	name   string
	now    time.Time
	req    policy.Request
	grants []policy.Grant
	setup  func(v *mapView)
	want   policy.Reason
	member string
	grant  string
	unlock time.Duration
}

// by builds a credential request at a lock.
func by(tb testing.TB, lock, credName string) policy.Request {
	tb.Helper()
	return policy.Request{Lock: lock, Credential: credByName(tb, credName)}
}

// asMember builds a member request at a lock.
func asMember(lock, member string) policy.Request {
	return policy.Request{Lock: lock, Member: member}
}

func reqString(now time.Time, r policy.Request) string {
	who := "member=" + r.Member
	if r.Member == "" {
		who = fmt.Sprintf("%v#%x", r.Credential.Type, r.Credential.Digest[:3])
	}
	return fmt.Sprintf("%s, lock=%s %s", now.Format(time.RFC3339Nano), r.Lock, who)
}

func runDecideCases(t *testing.T, cases []decideCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := fixture(t)
			for _, g := range tc.grants {
				v.addGrant(g)
			}
			if tc.setup != nil {
				tc.setup(v)
			}
			want := policy.Decision{Reason: tc.want, Member: tc.member}
			if tc.grant != "" {
				found := false
				for _, g := range tc.grants {
					if g.Reference == tc.grant {
						want.Grant, want.Access, found = g.GrantKey, g.Access, true
						break
					}
				}
				if !found {
					t.Fatalf("case names grant %q that it does not have", tc.grant)
				}
			}
			if tc.want == policy.ReasonAllowed {
				want.Unlock = tc.unlock
				if want.Unlock == 0 {
					want.Unlock = policy.DefaultUnlockDuration
				}
			}
			got := policy.Decide(tc.now, tc.req, v)
			if got != want {
				t.Errorf("Decide(%v) = %+v, want %+v", reqString(tc.now, tc.req), got, want)
			}
			if got.Allowed() != (tc.want == policy.ReasonAllowed) {
				t.Errorf("Decide(%v).Allowed() = %v with reason %v", reqString(tc.now, tc.req), got.Allowed(), got.Reason)
			}
			if ex := policy.Explain(tc.now, tc.req, v); ex.Decision != got {
				t.Errorf("Explain(%v).Decision = %+v, want %+v", reqString(tc.now, tc.req), ex.Decision, got)
			}
		})
	}
}
