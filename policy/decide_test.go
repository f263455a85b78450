package policy_test

import (
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// TestDecideRules covers the rules before the grants (clock, lock, keypad,
// lockdown, credential, member) and the grant checks that are not about
// schedules. Schedules, DST and holidays are in decide_time_test.go.
func TestDecideRules(t *testing.T) { runDecideCases(t, rulesCases(t)) }

func rulesCases(t testing.TB) []decideCase {
	sto := zone(t, "Europe/Stockholm")
	now := at(t, sto, 2026, time.June, 10, 10, 0) // a Wednesday
	day := 24 * time.Hour
	ok := grant("ok", "alice", "anytime")
	setClock := func(newest time.Time, tol time.Duration) func(*mapView) {
		return func(v *mapView) { v.clock = policy.ClockMark{Newest: newest, Tolerance: tol} }
	}
	setState := func(lock string, st policy.LockState) func(*mapView) {
		return func(v *mapView) { v.states[lock] = st }
	}
	setSync := func(domain string, t time.Time) func(*mapView) {
		return func(v *mapView) { v.lastSync[domain] = t }
	}
	card := by(t, "front", "alice-card")
	pin := by(t, "front", "alice-pin")
	rest := origin(policy.OriginNexudusREST, policy.KindContract)
	hook := origin(policy.OriginWebhook, policy.KindGroup)
	admin := origin(policy.OriginAdmin, policy.KindManual)
	A := policy.ReasonAllowed

	return []decideCase{
		{name: "allowed card", now: now, req: card, grants: []policy.Grant{ok}, want: A, member: "alice", grant: "ok"},
		{name: "allowed pin", now: now, req: pin, grants: []policy.Grant{ok}, want: A, member: "alice", grant: "ok"},
		{name: "allowed phone", now: now, req: by(t, "front", "alice-phone"), grants: []policy.Grant{ok}, want: A, member: "alice", grant: "ok"},
		{name: "allowed member request", now: now, req: asMember("front", "alice"), grants: []policy.Grant{ok}, want: A, member: "alice", grant: "ok"},
		{name: "custom unlock duration", now: now, req: by(t, "garage", "alice-card"), grants: []policy.Grant{ok}, want: A, member: "alice", grant: "ok", unlock: 8 * time.Second},

		// Rule 1: the clock mark.
		{name: "clock no mark", now: now, req: card, grants: []policy.Grant{ok}, setup: setClock(time.Time{}, 0), want: A, member: "alice", grant: "ok"},
		{name: "clock ahead of mark", now: now, req: card, grants: []policy.Grant{ok}, setup: setClock(now.Add(-time.Hour), 0), want: A, member: "alice", grant: "ok"},
		{name: "clock at mark", now: now, req: card, grants: []policy.Grant{ok}, setup: setClock(now, 0), want: A, member: "alice", grant: "ok"},
		{name: "clock behind within default tolerance", now: now, req: card, grants: []policy.Grant{ok}, setup: setClock(now.Add(4*time.Minute), 0), want: A, member: "alice", grant: "ok"},
		{name: "clock behind exactly default tolerance", now: now, req: card, grants: []policy.Grant{ok}, setup: setClock(now.Add(5*time.Minute), 0), want: A, member: "alice", grant: "ok"},
		{name: "clock behind past default tolerance", now: now, req: card, grants: []policy.Grant{ok}, setup: setClock(now.Add(5*time.Minute+time.Nanosecond), 0), want: policy.ReasonClockUntrusted},
		{name: "clock negative tolerance is default", now: now, req: card, grants: []policy.Grant{ok}, setup: setClock(now.Add(6*time.Minute), -time.Hour), want: policy.ReasonClockUntrusted},
		{name: "clock custom tolerance within", now: now, req: card, grants: []policy.Grant{ok}, setup: setClock(now.Add(59*time.Minute), time.Hour), want: A, member: "alice", grant: "ok"},
		{name: "clock custom tolerance past", now: now, req: card, grants: []policy.Grant{ok}, setup: setClock(now.Add(61*time.Minute), time.Hour), want: policy.ReasonClockUntrusted},
		{name: "clock custom small tolerance", now: now, req: card, grants: []policy.Grant{ok}, setup: setClock(now.Add(time.Minute), 30*time.Second), want: policy.ReasonClockUntrusted},
		{name: "clock checked before lock", now: now, req: by(t, "nope", "alice-card"), setup: setClock(now.Add(time.Hour), 0), want: policy.ReasonClockUntrusted},

		// Rule 2: the lock; its domain must be usable.
		{name: "unknown lock", now: now, req: by(t, "nope", "alice-card"), grants: []policy.Grant{ok}, want: policy.ReasonUnknownLock},
		{name: "lock domain missing", now: now, req: by(t, "orphan", "alice-card"), grants: []policy.Grant{ok}, want: policy.ReasonMisconfigured},
		{name: "lock domain without zone", now: now, req: by(t, "limbo", "alice-card"), grants: []policy.Grant{ok}, want: policy.ReasonMisconfigured},

		// Rule 3: keypad lockout, PINs only, ends at KeypadLockedUntil.
		{name: "keypad locked pin", now: now, req: pin, grants: []policy.Grant{ok}, setup: setState("front", policy.LockState{KeypadLockedUntil: now.Add(time.Second)}), want: policy.ReasonKeypadLockedOut},
		{name: "keypad locked ambiguous pin", now: now, req: by(t, "front", "bob-pin"), setup: setState("front", policy.LockState{KeypadLockedUntil: now.Add(time.Nanosecond)}), want: policy.ReasonKeypadLockedOut},
		{name: "keypad locked card passes", now: now, req: card, grants: []policy.Grant{ok}, setup: setState("front", policy.LockState{KeypadLockedUntil: now.Add(time.Hour)}), want: A, member: "alice", grant: "ok"},
		{name: "keypad locked phone passes", now: now, req: by(t, "front", "alice-phone"), grants: []policy.Grant{ok}, setup: setState("front", policy.LockState{KeypadLockedUntil: now.Add(time.Hour)}), want: A, member: "alice", grant: "ok"},
		{name: "keypad locked member request passes", now: now, req: asMember("front", "alice"), grants: []policy.Grant{ok}, setup: setState("front", policy.LockState{KeypadLockedUntil: now.Add(time.Hour)}), want: A, member: "alice", grant: "ok"},
		{name: "keypad lockout ends at until", now: now, req: pin, grants: []policy.Grant{ok}, setup: setState("front", policy.LockState{KeypadLockedUntil: now}), want: A, member: "alice", grant: "ok"},
		{name: "keypad lockout other lock", now: now, req: by(t, "garage", "alice-pin"), grants: []policy.Grant{ok}, setup: setState("front", policy.LockState{KeypadLockedUntil: now.Add(time.Hour)}), want: A, member: "alice", grant: "ok", unlock: 8 * time.Second},
		{name: "keypad before lockdown", now: now, req: pin, grants: []policy.Grant{ok}, setup: setState("front", policy.LockState{Lockdown: true, KeypadLockedUntil: now.Add(time.Hour)}), want: policy.ReasonKeypadLockedOut},

		// Rule 4: lockdown, overridden by an emergency release.
		{name: "lockdown", now: now, req: card, grants: []policy.Grant{ok}, setup: setState("front", policy.LockState{Lockdown: true}), want: policy.ReasonLockdown},
		{name: "lockdown member request", now: now, req: asMember("front", "alice"), grants: []policy.Grant{ok}, setup: setState("front", policy.LockState{Lockdown: true}), want: policy.ReasonLockdown},
		{name: "lockdown before credential", now: now, req: by(t, "front", "bob-pin"), setup: setState("front", policy.LockState{Lockdown: true}), want: policy.ReasonLockdown},
		{name: "lockdown released", now: now, req: card, grants: []policy.Grant{ok}, setup: setState("front", policy.LockState{Lockdown: true, Released: true}), want: A, member: "alice", grant: "ok"},
		{name: "release without lockdown", now: now, req: card, grants: []policy.Grant{ok}, setup: setState("front", policy.LockState{Released: true}), want: A, member: "alice", grant: "ok"},
		{name: "release does not widen grants", now: now, req: by(t, "front", "bob-pin"), setup: setState("front", policy.LockState{Lockdown: true, Released: true}), want: policy.ReasonAmbiguousCredential},

		// Rule 5: exactly one member of the lock's domain.
		{name: "unknown card", now: now, req: policy.Request{Lock: "front", Credential: cred(t, policy.CredCard, "FFEE")}, want: policy.ReasonUnknownCredential},
		{name: "unknown credential type", now: now, req: policy.Request{Lock: "front", Credential: policy.Credential{Digest: credByName(t, "alice-card").Digest}}, want: policy.ReasonUnknownCredential},
		{name: "same value other type", now: now, req: policy.Request{Lock: "front", Credential: policy.Credential{Type: policy.CredFob, Digest: credByName(t, "alice-card").Digest}}, want: policy.ReasonUnknownCredential},
		{name: "credential of another domain", now: now, req: by(t, "front", "nora-card"), want: policy.ReasonUnknownCredential},
		{name: "holder without member record", now: now, req: by(t, "front", "ghost-card"), want: policy.ReasonUnknownCredential},
		{name: "unknown member request", now: now, req: asMember("front", "ghost"), want: policy.ReasonUnknownCredential},
		{name: "ambiguous pin", now: now, req: by(t, "front", "bob-pin"), grants: []policy.Grant{grant("b", "bob", "anytime"), grant("c", "cara", "anytime")}, want: policy.ReasonAmbiguousCredential},
		{name: "same pin other domain", now: now, req: by(t, "ny-door", "nora-pin"), grants: []policy.Grant{grant("n", "nora", "ny-any")}, want: A, member: "nora", grant: "n"},
		{name: "holder listed twice", now: now, req: by(t, "front", "dave-card"), grants: []policy.Grant{grant("d", "dave", "anytime")}, want: A, member: "dave", grant: "d"},

		// Rule 6: the member must be active, whatever its grants.
		{name: "suspended with valid grant", now: now, req: by(t, "front", "sam-card"), grants: []policy.Grant{grant("s", "sam", "anytime")}, want: policy.ReasonMemberInactive, member: "sam"},
		{name: "suspended member request", now: now, req: asMember("front", "sam"), grants: []policy.Grant{grant("s", "sam", "anytime")}, want: policy.ReasonMemberInactive, member: "sam"},
		{name: "inactive", now: now, req: by(t, "front", "ina-card"), grants: []policy.Grant{grant("i", "ina", "anytime")}, want: policy.ReasonMemberInactive, member: "ina"},
		{name: "archived", now: now, req: by(t, "front", "arc-card"), grants: []policy.Grant{grant("a", "arc", "anytime")}, want: policy.ReasonMemberInactive, member: "arc"},
		{name: "unknown status", now: now, req: by(t, "front", "unk-card"), grants: []policy.Grant{grant("u", "unk", "anytime")}, want: policy.ReasonMemberInactive, member: "unk"},

		// Rule 7: grants naming the lock.
		{name: "no grants", now: now, req: card, want: policy.ReasonNoGrant, member: "alice"},
		{name: "grant for other lock", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "garage-only")}, want: policy.ReasonNoGrant, member: "alice"},
		{name: "grant for unknown access", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "vanished")}, want: policy.ReasonNoGrant, member: "alice"},
		{name: "grant for access of another domain", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "other-domain")}, want: policy.ReasonNoGrant, member: "alice"},
		{name: "grant of another member", now: now, req: card, grants: []policy.Grant{grant("b", "bob", "anytime")}, want: policy.ReasonNoGrant, member: "alice"},

		// Validity window [From, Until).
		{name: "from inclusive", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", from(now))}, want: A, member: "alice", grant: "g"},
		{name: "before from", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", from(now.Add(time.Nanosecond)))}, want: policy.ReasonNotYetValid, member: "alice", grant: "g"},
		{name: "until exclusive", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", until(now))}, want: policy.ReasonExpired, member: "alice", grant: "g"},
		{name: "just before until", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", until(now.Add(time.Nanosecond)))}, want: A, member: "alice", grant: "g"},
		{name: "inside from until", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", from(now.Add(-day)), until(now.Add(day)))}, want: A, member: "alice", grant: "g"},

		// Offline horizon: open-ended Nexudus grants only.
		{name: "rest open-ended fresh", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", rest)}, setup: setSync("sto", now.Add(-time.Hour)), want: A, member: "alice", grant: "g"},
		{name: "rest open-ended at horizon", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", rest)}, setup: setSync("sto", now.Add(-7*day)), want: A, member: "alice", grant: "g"},
		{name: "rest open-ended past horizon", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", rest)}, setup: setSync("sto", now.Add(-7*day-time.Nanosecond)), want: policy.ReasonDataStale, member: "alice", grant: "g"},
		{name: "rest open-ended never synced", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", rest)}, want: policy.ReasonDataStale, member: "alice", grant: "g"},
		{name: "rest open-ended other domain synced", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", rest)}, setup: setSync("nyc", now), want: policy.ReasonDataStale, member: "alice", grant: "g"},
		{name: "webhook open-ended past horizon", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", hook)}, setup: setSync("sto", now.Add(-8*day)), want: policy.ReasonDataStale, member: "alice", grant: "g"},
		{name: "webhook open-ended never synced", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", hook)}, want: policy.ReasonDataStale, member: "alice", grant: "g"},
		{name: "webhook open-ended fresh", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", hook)}, setup: setSync("sto", now.Add(-6*day)), want: A, member: "alice", grant: "g"},
		{name: "custom horizon within", now: now, req: by(t, "garage", "alice-card"), grants: []policy.Grant{grant("g", "alice", "anytime", rest)}, setup: setSync("sto", now.Add(-47*time.Hour)), want: A, member: "alice", grant: "g", unlock: 8 * time.Second},
		{name: "custom horizon past", now: now, req: by(t, "garage", "alice-card"), grants: []policy.Grant{grant("g", "alice", "anytime", rest)}, setup: setSync("sto", now.Add(-49*time.Hour)), want: policy.ReasonDataStale, member: "alice", grant: "g"},
		{name: "rest known end holds past horizon", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", rest, until(now.Add(time.Minute)))}, setup: setSync("sto", now.Add(-30*day)), want: A, member: "alice", grant: "g"},
		{name: "rest known end never synced", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", rest, until(now.Add(time.Minute)))}, want: A, member: "alice", grant: "g"},
		{name: "rest known end ends", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", rest, until(now))}, setup: setSync("sto", now.Add(-30*day)), want: policy.ReasonExpired, member: "alice", grant: "g"},
		{name: "webhook known end holds", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", hook, from(now.Add(-100*day)), until(now.Add(time.Hour)))}, want: A, member: "alice", grant: "g"},
		{name: "config open-ended never synced", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime")}, want: A, member: "alice", grant: "g"},
		{name: "config open-ended stale sync", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime")}, setup: setSync("sto", now.Add(-300*day)), want: A, member: "alice", grant: "g"},
		{name: "admin open-ended stale sync", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", admin)}, setup: setSync("sto", now.Add(-300*day)), want: A, member: "alice", grant: "g"},
		{name: "stale checked after window", now: now, req: card, grants: []policy.Grant{grant("g", "alice", "anytime", rest, from(now.Add(time.Hour)))}, want: policy.ReasonNotYetValid, member: "alice", grant: "g"},
	}
}

// TestDecideFurthestGrant checks which grant's reason a denial reports when
// several grants fail: the one furthest through rule 7, first on ties.
func TestDecideFurthestGrant(t *testing.T) { runDecideCases(t, furthestCases(t)) }

func furthestCases(t testing.TB) []decideCase {
	sto := zone(t, "Europe/Stockholm")
	now := at(t, sto, 2026, time.December, 25, 10, 0) // a Friday and a holiday of "office"
	card := by(t, "front", "alice-card")
	other := grant("other", "alice", "garage-only")
	early := grant("early", "alice", "anytime", from(now.Add(time.Hour)))
	late := grant("late", "alice", "anytime", until(now.Add(-time.Hour)))
	stale := grant("stale", "alice", "anytime", origin(policy.OriginNexudusREST, policy.KindContract))
	holiday := grant("holiday", "alice", "office")
	outside := grant("outside", "alice", "sto-0200")
	ok := grant("ok", "alice", "anytime")
	ok2 := grant("ok2", "alice", "garage-only")
	gs := func(g ...policy.Grant) []policy.Grant { return g }

	return []decideCase{
		{name: "only other locks", now: now, req: card, grants: gs(other, grant("x", "alice", "vanished")), want: policy.ReasonNoGrant, member: "alice"},
		{name: "window beats no grant", now: now, req: card, grants: gs(other, late), want: policy.ReasonExpired, member: "alice", grant: "late"},
		{name: "tie first not yet valid", now: now, req: card, grants: gs(early, late), want: policy.ReasonNotYetValid, member: "alice", grant: "early"},
		{name: "tie first expired", now: now, req: card, grants: gs(late, early), want: policy.ReasonExpired, member: "alice", grant: "late"},
		{name: "stale beats window", now: now, req: card, grants: gs(late, stale, early), want: policy.ReasonDataStale, member: "alice", grant: "stale"},
		{name: "holiday beats stale", now: now, req: card, grants: gs(stale, holiday, late), want: policy.ReasonHoliday, member: "alice", grant: "holiday"},
		{name: "schedule beats holiday", now: now, req: card, grants: gs(holiday, outside, stale), want: policy.ReasonOutsideSchedule, member: "alice", grant: "outside"},
		{name: "schedule beats holiday reversed", now: now, req: card, grants: gs(outside, holiday), want: policy.ReasonOutsideSchedule, member: "alice", grant: "outside"},
		{name: "allowed after failures", now: now, req: card, grants: gs(other, late, stale, holiday, outside, ok), want: policy.ReasonAllowed, member: "alice", grant: "ok"},
		{name: "first allowed wins", now: now, req: card, grants: gs(ok, grant("ok-too", "alice", "anytime")), want: policy.ReasonAllowed, member: "alice", grant: "ok"},
		{name: "allowed grant on other lock", now: now, req: card, grants: gs(ok2, late), want: policy.ReasonExpired, member: "alice", grant: "late"},
	}
}

// TestDecideReasonsCovered checks that the Decide tables, each of whose rows
// is checked against Decide, expect every reason Decide can return.
func TestDecideReasonsCovered(t *testing.T) {
	seen := map[policy.Reason]int{}
	for _, cases := range [][]decideCase{rulesCases(t), furthestCases(t), timeCases(t)} {
		for _, c := range cases {
			seen[c.want]++
		}
	}
	for _, r := range policy.Reasons() {
		if seen[r] == 0 {
			t.Errorf("no Decide case expects %v", r)
		}
	}
	if seen[policy.ReasonNone] != 0 {
		t.Errorf("%d Decide cases expect %v, which Decide never returns", seen[policy.ReasonNone], policy.ReasonNone)
	}
}
