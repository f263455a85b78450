package policy_test

import (
	"slices"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// TestReasonStrings pins the reason strings: metrics, events and the lock
// protocol use them, so a rename is a protocol change.
func TestReasonStrings(t *testing.T) {
	want := []string{
		"allowed", "clock_untrusted", "unknown_lock", "misconfigured", "keypad_locked_out",
		"lockdown", "unknown_credential", "ambiguous_credential", "member_inactive", "no_grant",
		"not_yet_valid", "expired", "data_stale", "holiday", "outside_schedule",
	}
	var got []string
	for _, r := range policy.Reasons() {
		got = append(got, r.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("Reasons() strings = %q, want %q", got, want)
	}
	if policy.ReasonNone.String() != "none" {
		t.Errorf("ReasonNone.String() = %q, want none", policy.ReasonNone.String())
	}
}

// roundTrip checks that every valid value parses back from its String, that
// the zero value's name and garbage do not parse, and that out-of-range
// values print as name(n).
func roundTrip[T ~uint8](t *testing.T, name string, valid []T, parse func(string) (T, error), outOfRange string) {
	t.Helper()
	for _, v := range valid {
		s := any(v).(interface{ String() string }).String()
		got, err := parse(s)
		if err != nil || got != v {
			t.Errorf("Parse%s(%q) = %v, %v, want %v", name, s, got, err, v)
		}
	}
	var zero T
	zs := any(zero).(interface{ String() string }).String()
	for _, bad := range []string{zs, "", "bogus", " " + any(valid[0]).(interface{ String() string }).String()} {
		if got, err := parse(bad); err == nil || got != zero {
			t.Errorf("Parse%s(%q) = %v, %v, want the zero value and an error", name, bad, got, err)
		}
	}
	if s := any(T(200)).(interface{ String() string }).String(); s != outOfRange {
		t.Errorf("%s(200).String() = %q, want %q", name, s, outOfRange)
	}
}

func TestParseRoundTrips(t *testing.T) {
	roundTrip(t, "Reason", policy.Reasons(), policy.ParseReason, "reason(200)")
	roundTrip(t, "Origin", []policy.Origin{policy.OriginConfig, policy.OriginNexudusREST, policy.OriginWebhook, policy.OriginAdmin},
		policy.ParseOrigin, "origin(200)")
	roundTrip(t, "GrantKind", []policy.GrantKind{policy.KindBooking, policy.KindPass, policy.KindContract, policy.KindGroup, policy.KindManual},
		policy.ParseGrantKind, "kind(200)")
	roundTrip(t, "MemberStatus", []policy.MemberStatus{policy.StatusActive, policy.StatusInactive, policy.StatusSuspended, policy.StatusArchived},
		policy.ParseMemberStatus, "status(200)")
	roundTrip(t, "CredentialType", []policy.CredentialType{policy.CredCard, policy.CredFob, policy.CredPIN, policy.CredPhone},
		policy.ParseCredentialType, "credential(200)")
	for s, want := range map[string]policy.Origin{"config": policy.OriginConfig, "nexudus-rest": policy.OriginNexudusREST, "webhook": policy.OriginWebhook, "admin": policy.OriginAdmin} {
		if got, err := policy.ParseOrigin(s); err != nil || got != want {
			t.Errorf("ParseOrigin(%q) = %v, %v, want %v", s, got, err, want)
		}
	}
	for s, want := range map[string]policy.CredentialType{"card": policy.CredCard, "fob": policy.CredFob, "pin": policy.CredPIN, "phone": policy.CredPhone} {
		if got, err := policy.ParseCredentialType(s); err != nil || got != want {
			t.Errorf("ParseCredentialType(%q) = %v, %v, want %v", s, got, err, want)
		}
	}
}

func TestOriginFromNexudus(t *testing.T) {
	for o, want := range map[policy.Origin]bool{
		policy.OriginUnknown: false, policy.OriginConfig: false, policy.OriginNexudusREST: true,
		policy.OriginWebhook: true, policy.OriginAdmin: false,
	} {
		if got := o.FromNexudus(); got != want {
			t.Errorf("%v.FromNexudus() = %v, want %v", o, got, want)
		}
	}
}

func TestLockDefaults(t *testing.T) {
	tests := []struct {
		l               policy.Lock
		horizon, unlock time.Duration
	}{
		{policy.Lock{}, 7 * 24 * time.Hour, 5 * time.Second},
		{policy.Lock{OfflineHorizon: -time.Hour, UnlockDuration: -time.Second}, 7 * 24 * time.Hour, 5 * time.Second},
		{policy.Lock{OfflineHorizon: 48 * time.Hour, UnlockDuration: 8 * time.Second}, 48 * time.Hour, 8 * time.Second},
	}
	for _, tc := range tests {
		if got := tc.l.Horizon(); got != tc.horizon {
			t.Errorf("%+v.Horizon() = %v, want %v", tc.l, got, tc.horizon)
		}
		if got := tc.l.Unlock(); got != tc.unlock {
			t.Errorf("%+v.Unlock() = %v, want %v", tc.l, got, tc.unlock)
		}
	}
	if policy.FailSecure.String() != "secure" || policy.FailSafe.String() != "safe" {
		t.Errorf("fail modes print as %q, %q", policy.FailSecure, policy.FailSafe)
	}
}

func TestGrantValid(t *testing.T) {
	t0 := time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC)
	g := policy.Grant{From: t0, Until: t0.Add(time.Hour)}
	for _, tc := range []struct {
		t    time.Time
		want bool
	}{{t0.Add(-1), false}, {t0, true}, {t0.Add(time.Hour - 1), true}, {t0.Add(time.Hour), false}} {
		if got := g.Valid(tc.t); got != tc.want {
			t.Errorf("Grant[%v, %v).Valid(%v) = %v, want %v", g.From, g.Until, tc.t, got, tc.want)
		}
	}
	open := policy.Grant{}
	if !open.OpenEnded() || !open.Valid(t0) || g.OpenEnded() {
		t.Errorf("OpenEnded/Valid wrong for a grant without bounds")
	}
	k := policy.GrantKey{Origin: policy.OriginWebhook, Kind: policy.KindGroup, Reference: "g-7"}
	if got := k.String(); got != "webhook/group/g-7" {
		t.Errorf("GrantKey.String() = %q, want webhook/group/g-7", got)
	}
}

func TestClockMarkTrusted(t *testing.T) {
	mark := time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		c    policy.ClockMark
		now  time.Time
		want bool
	}{
		{policy.ClockMark{}, time.Time{}.Add(time.Hour), true},
		{policy.ClockMark{Newest: mark}, mark.Add(-5 * time.Minute), true},
		{policy.ClockMark{Newest: mark}, mark.Add(-5*time.Minute - 1), false},
		{policy.ClockMark{Newest: mark, Tolerance: time.Second}, mark.Add(-time.Second), true},
		{policy.ClockMark{Newest: mark, Tolerance: time.Second}, mark.Add(-2 * time.Second), false},
		{policy.ClockMark{Newest: mark, Tolerance: 24 * time.Hour}, mark.Add(-23 * time.Hour), true},
		{policy.ClockMark{Newest: mark}, mark.Add(time.Hour), true},
	}
	for _, tc := range tests {
		if got := tc.c.Trusted(tc.now); got != tc.want {
			t.Errorf("%+v.Trusted(%v) = %v, want %v", tc.c, tc.now, got, tc.want)
		}
	}
}

func TestAccessHas(t *testing.T) {
	a := policy.Access{Locks: []string{"front", "garage"}}
	for range 2 { // before and after Index
		for lock, want := range map[string]bool{"front": true, "garage": true, "back": false, "": false} {
			if got := a.Has(lock); got != want {
				t.Errorf("Access%v.Has(%q) = %v, want %v", a.Locks, lock, got, want)
			}
		}
		a.Index()
	}
}
