package store

import (
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

func TestReopenKeepsEverything(t *testing.T) {
	s, dir := openTemp(t)
	epoch := s.Epoch()
	if len(epoch) != 32 {
		t.Fatalf("Epoch = %q, want 32 hex characters", epoch)
	}
	apply(t, s, fixtureBatch(t))
	s.NoteDecisionTime(t0.Add(3 * time.Second))
	before := dump(s)
	reqs := decideCases(t)
	var want []policy.Decision
	for _, r := range reqs {
		want = append(want, s.Decide(r.now, r.req))
	}

	s = reopen(t, s, dir)
	if got := dump(s); got != before {
		t.Errorf("after reopen:\n%s\nwant:\n%s", got, before)
	}
	if s.Epoch() != epoch {
		t.Errorf("Epoch after reopen = %q, want %q", s.Epoch(), epoch)
	}
	if got := s.ClockMark().Newest; !got.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("clock mark after reopen = %v, want %v", got, t0.Add(3*time.Second))
	}
	for i, r := range reqs {
		if got := s.Decide(r.now, r.req); got != want[i] {
			t.Errorf("%s: Decide after reopen = %+v, want %+v", r.name, got, want[i])
		}
	}
	if c, ok := s.Cursor("nexudus/coworkers"); !ok || c != "2026-11-23T09:00:00Z" {
		t.Errorf("Cursor = %q, %v", c, ok)
	}
	if ls := s.LockState("garage"); !ls.Lockdown || !ls.KeypadLockedUntil.Equal(t0.Add(time.Minute)) {
		t.Errorf("LockState(garage) = %+v", ls)
	}
	if got := s.LastSync("hq"); !got.Equal(t0.Add(-time.Hour)) {
		t.Errorf("LastSync(hq) = %v", got)
	}
	want0 := Counts{Domains: 1, Locks: 2, Accesses: 2, Members: 3, Credentials: 5, Grants: 4, LockStates: 1, Cursors: 1}
	if c := s.Counts(); c != want0 {
		t.Errorf("Counts = %+v, want %+v", c, want0)
	}
}

type decideCase struct {
	name string
	now  time.Time
	req  policy.Request
	want policy.Reason
}

func decideCases(tb testing.TB) []decideCase {
	card := digest(tb, policy.CredCard, "04a1b2c3")
	pin := digest(tb, policy.CredPIN, "1234")
	fob := digest(tb, policy.CredFob, "de:ad:be:ef")
	phone := digest(tb, policy.CredPhone, "phone-key-0123456789abcdef")
	return []decideCase{
		{"alice card front", t0, policy.Request{Lock: "front", Credential: card}, policy.ReasonAllowed},
		{"alice card garage lockdown", t0, policy.Request{Lock: "garage", Credential: card}, policy.ReasonLockdown},
		{"shared pin", t0, policy.Request{Lock: "front", Credential: pin}, policy.ReasonAmbiguousCredential},
		{"pin at locked keypad", t0, policy.Request{Lock: "garage", Credential: pin}, policy.ReasonKeypadLockedOut},
		{"bob fob", t0, policy.Request{Lock: "front", Credential: fob}, policy.ReasonAllowed},
		{"carol suspended", t0, policy.Request{Lock: "front", Credential: phone}, policy.ReasonMemberInactive},
		{"alice holiday", time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), policy.Request{Lock: "front", Member: "alice"}, policy.ReasonHoliday},
		{"alice sunday noon", time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), policy.Request{Lock: "front", Member: "alice"}, policy.ReasonOutsideSchedule},
		{"alice stale", t0.Add(8 * 24 * time.Hour), policy.Request{Lock: "front", Member: "alice"}, policy.ReasonDataStale},
		{"unknown lock", t0, policy.Request{Lock: "nope", Credential: card}, policy.ReasonUnknownLock},
		{"unknown card", t0, policy.Request{Lock: "front", Credential: digest(tb, policy.CredCard, "01")}, policy.ReasonUnknownCredential},
	}
}

func TestDecideFixture(t *testing.T) {
	s, _ := openTemp(t)
	apply(t, s, fixtureBatch(t))
	for _, tt := range decideCases(t) {
		if got := s.Decide(tt.now, tt.req); got.Reason != tt.want {
			t.Errorf("%s: Decide = %v, want %v", tt.name, got.Reason, tt.want)
		}
	}
	d := s.Decide(t0, policy.Request{Lock: "front", Credential: digest(t, policy.CredCard, "4A1B2C3")})
	if d.Member != "alice" || d.Unlock != policy.DefaultUnlockDuration {
		t.Errorf("Decide = %+v, want alice with the default unlock", d)
	}
	ex := s.Explain(t0, policy.Request{Lock: "front", Member: "alice"})
	if ex.Decision.Reason != policy.ReasonAllowed || len(ex.Candidates) != 2 || ex.Member == nil || ex.Member.Name != "Alice" || ex.Lock == nil {
		t.Errorf("Explain = %+v", ex)
	}
	req := policy.Request{Lock: "front", Credential: digest(t, policy.CredCard, "04a1b2c3")}
	if n := testing.AllocsPerRun(200, func() { s.Decide(t0, req) }); n != 0 {
		t.Errorf("Decide allocates %v times", n)
	}
}
