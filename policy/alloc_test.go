package policy_test

import (
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// TestDecideAllocs checks that Decide allocates nothing, allowed or denied,
// with a view that allocates nothing itself.
func TestDecideAllocs(t *testing.T) {
	sto := zone(t, "Europe/Stockholm")
	now := at(t, sto, 2026, time.June, 13, 2, 0) // Saturday, inside fri-night
	v := fixture(t)
	v.addGrant(grant("expired", "alice", "anytime", until(now.Add(-time.Hour))))
	v.addGrant(grant("office", "alice", "office"))
	v.addGrant(grant("stale", "alice", "anytime", origin(policy.OriginWebhook, policy.KindGroup)))
	v.addGrant(grant("night", "alice", "fri-night"))
	v.addGrant(grant("bob", "bob", "office"))
	v.addGrant(grant("xmas", "dave", "closed-xmas"))
	v.addGrant(grant("sam", "sam", "anytime"))
	v.addGrant(grant("nora", "nora", "ny-any", origin(policy.OriginWebhook, policy.KindGroup)))
	v.states["garage"] = policy.LockState{Lockdown: true}
	v.states["ny-door"] = policy.LockState{KeypadLockedUntil: now.Add(time.Hour)}
	xmas := at(t, sto, 2026, time.December, 25, 12, 0)

	tests := []struct {
		name string
		now  time.Time
		req  policy.Request
		want policy.Reason
	}{
		{"allowed", now, by(t, "front", "alice-card"), policy.ReasonAllowed},
		{"allowed member request", now, asMember("front", "alice"), policy.ReasonAllowed},
		{"ambiguous", now, by(t, "front", "bob-pin"), policy.ReasonAmbiguousCredential},
		{"outside schedule", now, asMember("front", "bob"), policy.ReasonOutsideSchedule},
		{"holiday", xmas, by(t, "front", "dave-card"), policy.ReasonHoliday},
		{"data stale", now, asMember("ny-door", "nora"), policy.ReasonDataStale},
		{"unknown credential", now, policy.Request{Lock: "front", Credential: cred(t, policy.CredCard, "FFFF")}, policy.ReasonUnknownCredential},
		{"member inactive", now, by(t, "front", "sam-card"), policy.ReasonMemberInactive},
		{"no grant", now, asMember("front", "cara"), policy.ReasonNoGrant},
		{"lockdown", now, by(t, "garage", "alice-card"), policy.ReasonLockdown},
		{"keypad", now, by(t, "ny-door", "nora-pin"), policy.ReasonKeypadLockedOut},
		{"unknown lock", now, by(t, "nope", "alice-card"), policy.ReasonUnknownLock},
		{"misconfigured", now, by(t, "limbo", "alice-card"), policy.ReasonMisconfigured},
	}
	for _, tc := range tests {
		if got := policy.Decide(tc.now, tc.req, v); got.Reason != tc.want {
			t.Fatalf("%s: Decide(%v) = %v, want %v", tc.name, reqString(tc.now, tc.req), got.Reason, tc.want)
		}
		allocs := testing.AllocsPerRun(100, func() { policy.Decide(tc.now, tc.req, v) })
		if allocs != 0 {
			t.Errorf("%s: Decide(%v) allocates %v times per call, want 0", tc.name, reqString(tc.now, tc.req), allocs)
		}
	}
}
