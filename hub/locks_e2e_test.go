package hub_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/simulators/locks"
)

// protoLocks pairs each protocol with the lock that speaks it in a test, so
// both can be online at once.
var protoLocks = []struct {
	proto locks.Protocol
	lock  string
}{
	{locks.MQTT311, "front-door"},
	{locks.MQTT5, "side-door"},
}

// TestLocksGetDecisionsOverBothProtocols: simulated locks speaking MQTT
// 3.1.1 and MQTT 5 get the hub's decisions through the running hub: granted
// for a member with a grant, denied with the policy reason otherwise; every
// decision a 3.1.1 lock received is in the event log under its request id.
func TestLocksGetDecisionsOverBothProtocols(t *testing.T) {
	w := startWeb(t, lockSiteYAML(t.TempDir(), "process"))
	cases := []struct {
		name   string
		back   bool // at back-door (no key opens it) instead of the protocol's lock
		typ    wire.RequestType
		cred   string
		result wire.Result
		reason policy.Reason
	}{
		{"alice card", false, wire.TypeCard, siteAliceCard, wire.ResultGranted, policy.ReasonAllowed},
		{"alice card other spelling", false, wire.TypeCard, "0x04A1B2C3", wire.ResultGranted, policy.ReasonAllowed},
		{"alice pin", false, wire.TypePIN, siteAlicePIN, wire.ResultGranted, policy.ReasonAllowed},
		{"bob without grant", false, wire.TypeCard, siteBobCard, wire.ResultDenied, policy.ReasonNoGrant},
		{"unknown card", false, wire.TypeCard, siteNoCard, wire.ResultDenied, policy.ReasonUnknownCredential},
		{"alice card where no key opens", true, wire.TypeCard, siteAliceCard, wire.ResultDenied, policy.ReasonNoGrant},
	}
	for _, pl := range protoLocks {
		t.Run(pl.proto.String(), func(t *testing.T) {
			l := connectSimLock(t, w.Hub, pl.lock, pl.proto)
			back := connectSimLock(t, w.Hub, "back-door", pl.proto)
			for _, c := range cases {
				at := l
				if c.back {
					at = back
				}
				r := tap(t, at, c.typ, c.cred)
				if r.Local {
					t.Fatalf("%s: decided locally by the lock, want the hub's decision", c.name)
				}
				if r.Result != c.result || r.Reason != c.reason.String() {
					t.Errorf("%s at %s: %s/%s, want %s/%s", c.name, at.ID(), r.Result, r.Reason, c.result, c.reason)
				}
				if c.result == wire.ResultGranted && r.UnlockMS == 0 {
					t.Errorf("%s: granted without unlock_ms", c.name)
				}
				if r.Time == 0 {
					t.Errorf("%s: reply without the hub's time", c.name)
				}
				if pl.proto == locks.MQTT311 {
					if r.ID == "" {
						t.Fatalf("%s: 3.1.1 reply without the request id", c.name)
					}
					ev, ok := decisionEvent(t, w.Events(), at.ID(), r.ID)
					if !ok {
						t.Fatalf("%s: decision %s/%s not in the event log", c.name, at.ID(), r.ID)
					}
					if ev.Reason != c.reason || ev.Allowed != (c.result == wire.ResultGranted) {
						t.Errorf("%s: logged %v allowed=%v, want %v", c.name, ev.Reason, ev.Allowed, c.reason)
					}
				}
			}
		})
	}
}

// TestLockConnectRefused: a wrong secret, another lock's secret and an
// unknown lock are refused at CONNECT over both protocols, with "bad user
// name or password", and the lock never comes online.
func TestLockConnectRefused(t *testing.T) {
	w := startWeb(t, lockSiteYAML(t.TempDir(), "process"))
	addr := w.Broker().Addrs().TCP
	front := simIdentity(w.Hub, "front-door")
	cases := []struct {
		name string
		id   locks.Identity
	}{
		{"wrong secret", locks.Identity{ID: "front-door", Secret: "not-the-secret", CommandKey: front.CommandKey}},
		{"other lock's secret", locks.Identity{ID: "front-door", Secret: simIdentity(w.Hub, "side-door").Secret, CommandKey: front.CommandKey}},
		{"unknown lock", simIdentity(w.Hub, "ghost-door")},
	}
	for _, pl := range protoLocks {
		for i, c := range cases {
			t.Run(pl.proto.String()+"/"+c.name, func(t *testing.T) {
				// A client id of its own, so the per-client auth throttle
				// of one case cannot refuse another.
				l := newSimLock(t, addr, c.id, pl.proto, func(cfg *locks.LockConfig) {
					cfg.ClientID = c.id.ID + "/refused-" + string(rune('a'+i))
				})
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				err := l.Connect(ctx)
				if err == nil {
					t.Fatal("connect succeeded")
				}
				want := "bad user name or password" // paho 3.1.1, return code 4
				if pl.proto == locks.MQTT5 {
					want = "0x86" // MQTT 5 reason code: bad user name or password
				}
				if !strings.Contains(strings.ToLower(err.Error()), want) {
					t.Errorf("connect error %q does not say %q", err, want)
				}
				if l.Online() {
					t.Error("a refused lock is online")
				}
			})
		}
	}
	// The right identity still gets in after the refusals.
	connectSimLock(t, w.Hub, "front-door", locks.MQTT311)
}

// TestReleaseOverridesLockdown: lockdown reaches the lock as a signed
// command (the lock then denies locally) and the hub denies `lockdown`; an
// emergency release on top puts the lock in release and the hub allows
// again; turning release off brings lockdown back, turning lockdown off
// restores normal decisions by the hub.
func TestReleaseOverridesLockdown(t *testing.T) {
	for _, pl := range protoLocks {
		t.Run(pl.proto.String(), func(t *testing.T) {
			w := startWeb(t, lockSiteYAML(t.TempDir(), "process"))
			ctx := t.Context()
			lock := pl.lock
			l := connectSimLock(t, w.Hub, lock, pl.proto)
			raw := connectRaw(t, w.Hub, lock) // asks the hub while the lock decides locally
			svc := w.Locks()
			aliceAt := cardRequest(t, w.Hub, siteAliceCard)
			aliceAt.Lock = lock

			waitMode := func(m wire.Mode) {
				t.Helper()
				poll(t, 10*time.Second, "lock mode "+m.String(), func() bool { return l.State().Mode == m })
			}
			hubSays := func(step string, want policy.Reason) {
				t.Helper()
				if r := raw.request(t, wire.TypeCard, siteAliceCard); r.Reason != want.String() {
					t.Errorf("%s: hub answered %s/%s over MQTT, want %s", step, r.Result, r.Reason, want)
				}
				if d := w.Store().Decide(w.clock.Now(), aliceAt); d.Reason != want {
					t.Errorf("%s: Decide = %v, want %v", step, d.Reason, want)
				}
			}
			lockSays := func(step string, local bool, result wire.Result, reason string) {
				t.Helper()
				r := tap(t, l, wire.TypeCard, siteAliceCard)
				if r.Local != local || r.Result != result || r.Reason != reason {
					t.Errorf("%s: tap = local=%v %s/%s, want local=%v %s/%s", step, r.Local, r.Result, r.Reason, local, result, reason)
				}
			}

			lockSays("normal", false, wire.ResultGranted, "allowed")

			if err := svc.SetLockdown(ctx, lock, true, "test"); err != nil {
				t.Fatalf("SetLockdown on: %v", err)
			}
			waitMode(wire.ModeLockdown)
			lockSays("lockdown", true, wire.ResultDenied, "lockdown")
			hubSays("lockdown", policy.ReasonLockdown)

			if err := svc.SetRelease(ctx, lock, true, "test"); err != nil {
				t.Fatalf("SetRelease on: %v", err)
			}
			waitMode(wire.ModeRelease)
			lockSays("release over lockdown", true, wire.ResultGranted, "release")
			hubSays("release over lockdown", policy.ReasonAllowed)

			if err := svc.SetRelease(ctx, lock, false, "test"); err != nil {
				t.Fatalf("SetRelease off: %v", err)
			}
			waitMode(wire.ModeLockdown)
			hubSays("release off", policy.ReasonLockdown)

			if err := svc.SetLockdown(ctx, lock, false, "test"); err != nil {
				t.Fatalf("SetLockdown off: %v", err)
			}
			waitMode(wire.ModeNormal)
			lockSays("lockdown off", false, wire.ResultGranted, "allowed")
			hubSays("lockdown off", policy.ReasonAllowed)

			acc := l.Accepted()
			for _, k := range []wire.CommandKind{wire.CmdLockdownOn, wire.CmdReleaseOn, wire.CmdReleaseOff, wire.CmdLockdownOff} {
				if acc[k] != 1 {
					t.Errorf("lock accepted %d %v commands, want 1", acc[k], k)
				}
			}
			for reason, n := range l.Refusals() {
				if n != 0 {
					t.Errorf("lock refused %d commands: %s", n, reason)
				}
			}
			// Each admin action is in the audit log.
			evs, err := w.Events().Recent(200)
			if err != nil {
				t.Fatal(err)
			}
			actions := map[string]int{}
			for _, e := range evs {
				if e.Type == events.TypeAdmin && e.Lock == lock {
					actions[e.Action]++
				}
			}
			for _, a := range []string{"lockdown_on", "release_on", "release_off", "lockdown_off"} {
				if actions[a] != 1 {
					t.Errorf("admin action %s logged %d times, want 1", a, actions[a])
				}
			}
		})
	}
}

// TestKeypadLockoutOverMQTT: after max_failures wrong PINs at a lock its
// keypad is locked out: the right PIN is denied keypad_locked_out with
// retry_after_ms, while a card at that lock and the PIN at another lock
// still work; once the lockout has passed on the hub's clock, the right PIN
// opens again.
func TestKeypadLockoutOverMQTT(t *testing.T) {
	const lockout = time.Minute // lockSiteYAML: max_failures 3, lockout 1m
	for _, pl := range protoLocks {
		t.Run(pl.proto.String(), func(t *testing.T) {
			w := startWeb(t, lockSiteYAML(t.TempDir(), "process"))
			l := connectSimLock(t, w.Hub, pl.lock, pl.proto)
			other := "side-door"
			if pl.lock == other {
				other = "front-door"
			}
			o := connectSimLock(t, w.Hub, other, pl.proto)
			expect := func(step string, at *locks.Lock, typ wire.RequestType, cred string, result wire.Result, reason policy.Reason) locks.Response {
				t.Helper()
				r := tap(t, at, typ, cred)
				if r.Local || r.Result != result || r.Reason != reason.String() {
					t.Fatalf("%s: tap = local=%v %s/%s, want the hub's %s/%s", step, r.Local, r.Result, r.Reason, result, reason)
				}
				return r
			}
			for i := range 3 {
				expect("wrong PIN "+string(rune('1'+i)), l, wire.TypePIN, siteWrongPIN, wire.ResultDenied, policy.ReasonUnknownCredential)
			}
			r := expect("right PIN during lockout", l, wire.TypePIN, siteAlicePIN, wire.ResultDenied, policy.ReasonKeypadLockedOut)
			if r.RetryAfterMS == 0 || time.Duration(r.RetryAfterMS)*time.Millisecond > lockout {
				t.Errorf("retry_after_ms = %d, want within (0, %d]", r.RetryAfterMS, lockout.Milliseconds())
			}
			expect("card during lockout", l, wire.TypeCard, siteAliceCard, wire.ResultGranted, policy.ReasonAllowed)
			expect("PIN at another lock", o, wire.TypePIN, siteAlicePIN, wire.ResultGranted, policy.ReasonAllowed)

			// Margins of 10 s: real time passes between the taps too.
			w.clock.Advance(lockout - 10*time.Second)
			expect("right PIN shortly before the end", l, wire.TypePIN, siteAlicePIN, wire.ResultDenied, policy.ReasonKeypadLockedOut)
			w.clock.Advance(20 * time.Second)
			expect("right PIN after the lockout", l, wire.TypePIN, siteAlicePIN, wire.ResultGranted, policy.ReasonAllowed)
		})
	}
}
