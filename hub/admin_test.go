package hub

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/policy"
)

// TestAdminLockActions: lockdown, release (which overrides lockdown),
// keypad clear and remote unlock work through the API on an offline lock
// (the state is stored and decisions follow it; a remote unlock cannot be
// delivered: 409), each leaves an audit event, and bad input is refused.
func TestAdminLockActions(t *testing.T) {
	f := newAdminFixture(t)
	h := f.h
	alice := cardReq(t, h, "front-door", "04A1B2C3")
	decide := func() policy.Reason { return h.Store().Decide(monday10, alice).Reason }
	if r := decide(); r != policy.ReasonAllowed {
		t.Fatalf("before: %v", r)
	}
	var resp LockActionResponse
	f.mustCall(t, "POST", "/api/admin/locks/front-door/lockdown", map[string]bool{"on": true}, 200, &resp)
	if !resp.State.Lockdown || resp.Delivered || resp.Warning == "" || resp.Action != "lockdown_on" {
		t.Errorf("lockdown on an offline lock: %+v", resp)
	}
	if r := decide(); r != policy.ReasonLockdown {
		t.Errorf("in lockdown: Decide = %v", r)
	}
	f.mustCall(t, "POST", "/api/admin/locks/front-door/release", map[string]bool{"on": true}, 200, &resp)
	if !resp.State.Released || !resp.State.Lockdown {
		t.Errorf("release: state %+v", resp.State)
	}
	if r := decide(); r != policy.ReasonAllowed {
		t.Errorf("released during lockdown: Decide = %v, want allowed (a release overrides lockdown)", r)
	}
	f.mustCall(t, "POST", "/api/admin/locks/front-door/release", `{"on": false}`, 200, &resp)
	f.mustCall(t, "POST", "/api/admin/locks/front-door/lockdown", `{"on": false}`, 200, &resp)
	if r := decide(); r != policy.ReasonAllowed || resp.State.Lockdown || resp.State.Released {
		t.Errorf("after both off: Decide = %v, state %+v", r, resp.State)
	}
	// A keypad lockout, then its clearing.
	b := store.NewBatch()
	b.SetLockState("garage", policy.LockState{KeypadLockedUntil: monday10.Add(time.Hour)})
	if err := h.Store().Apply(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	f.mustCall(t, "POST", "/api/admin/locks/garage/keypad/clear", nil, 200, &resp)
	if resp.State.KeypadLockedUntil != nil || !h.Store().LockState("garage").KeypadLockedUntil.IsZero() {
		t.Errorf("keypad clear: state %+v", resp.State)
	}
	if code, body := f.call(t, "POST", "/api/admin/locks/front-door/unlock", `{"duration_ms": 3000}`); code != http.StatusConflict || !strings.Contains(string(body), "offline") {
		t.Errorf("remote unlock of an offline lock: %d %s, want 409 offline", code, body)
	}

	for _, c := range []struct {
		path, body string
		want       int
	}{
		{"/api/admin/locks/nowhere/lockdown", `{"on": true}`, 404},
		{"/api/admin/locks/nowhere/unlock", ``, 404},
		{"/api/admin/locks/nowhere/keypad/clear", ``, 404},
		{"/api/admin/locks/front-door/lockdown", ``, 400},
		{"/api/admin/locks/front-door/lockdown", `{"on": "yes"}`, 400},
		{"/api/admin/locks/front-door/lockdown", `{"on": true, "extra": 1}`, 400},
		{"/api/admin/locks/front-door/release", `{"on": true}{"on": false}`, 400},
		{"/api/admin/locks/front-door/release", `not json`, 400},
		{"/api/admin/locks/front-door/unlock", `{"duration_ms": -1}`, 400},
		{"/api/admin/locks/front-door/unlock", `{"duration_ms": 3600000}`, 400},
		{"/api/admin/locks/front-door/lockdown", `{"on": true, "pad": "` + strings.Repeat("x", maxAdminBody) + `"}`, 413},
	} {
		code, body := f.call(t, "POST", c.path, c.body)
		if code != c.want || !strings.Contains(string(body), `"error"`) {
			t.Errorf("POST %s %.40q: %d %s, want %d with an error", c.path, c.body, code, body, c.want)
		}
	}
	if r := decide(); r != policy.ReasonAllowed {
		t.Errorf("refused requests changed the state: Decide = %v", r)
	}
	evs := adminActions(t, h)
	for _, a := range []string{"lockdown_on", "release_on", "release_off", "lockdown_off", "keypad_unlock", "remote_unlock"} {
		if !hasAction(evs, a, "ops-anna") {
			t.Errorf("no audit event %q by ops-anna in %+v", a, evs)
		}
	}
}

// TestAdminRevoke: revoking a member and a lost card works with no Nexudus
// configured, survives a config reload and a Nexudus batch re-putting the
// member as active, is listed, and is lifted by unrevoke (by id or by the
// same fields); every step is audited and no answer holds the card value.
func TestAdminRevoke(t *testing.T) {
	f := newAdminFixture(t)
	h := f.h
	aliceCard := cardReq(t, h, "front-door", "04A1B2C3")
	bobCard := cardReq(t, h, "front-door", "0B0B0B0B")

	var rm, rc RevocationResponse
	f.mustCall(t, "POST", "/api/admin/revoke", map[string]string{"member": "alice", "note": "must not enter"}, 201, &rm)
	body := f.mustCall(t, "POST", "/api/admin/revoke", map[string]string{"member": "bob", "type": "card", "value": "0b:0b:0b:0b", "note": "lost card"}, 201, &rc)
	if strings.Contains(strings.ToUpper(string(body)), "0B0B0B0B") {
		t.Errorf("revoke answer repeats the card value: %s", body)
	}
	if rm.Revocation.Kind != "member" || rm.Revocation.Actor != "ops-anna" || rc.Revocation.Kind != "credential" || rc.Revocation.Domain != "hq" || rc.Revocation.Type != "card" {
		t.Errorf("revocations: %+v %+v", rm, rc)
	}
	check := func(when string) {
		t.Helper()
		if d := h.Store().Decide(monday10, aliceCard); d.Reason != policy.ReasonMemberInactive {
			t.Errorf("%s: revoked member: %v, want member_inactive", when, d.Reason)
		}
		if d := h.Store().Decide(monday10, bobCard); d.Reason != policy.ReasonUnknownCredential {
			t.Errorf("%s: revoked card: %v, want unknown_credential", when, d.Reason)
		}
		if d := h.Store().Decide(monday10, policy.Request{Lock: "front-door", Member: "bob"}); !d.Allowed() {
			t.Errorf("%s: bob himself (card revoked, not bob): %v, want allowed", when, d.Reason)
		}
	}
	check("revoked")
	if err := h.Reload(t.Context(), loadTestConfig(t, adminSiteYAML(f.dir))); err != nil {
		t.Fatal(err)
	}
	check("after a config reload")
	b := store.NewBatch()
	b.PutMember(policy.Member{ID: "alice", Domain: "hq", Status: policy.StatusActive, Origin: policy.OriginNexudusREST}, []policy.Credential{aliceCard.Credential})
	b.PutMember(policy.Member{ID: "bob", Domain: "hq", Status: policy.StatusActive, Origin: policy.OriginNexudusREST}, []policy.Credential{bobCard.Credential})
	if err := h.Store().Apply(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	check("after a nexudus-rest batch re-puts both as active")

	var list RevocationsResponse
	f.mustCall(t, "GET", "/api/admin/revocations", nil, 200, &list)
	if len(list.Revocations) != 2 || list.Revocations[0].ID != rm.Revocation.ID || list.Revocations[1].ID != rc.Revocation.ID {
		t.Errorf("list = %+v", list)
	}

	for _, c := range []struct {
		body any
		want int
	}{
		{map[string]string{"member": "nobody"}, 404},
		{map[string]string{"domain": "nowhere", "type": "card", "value": "01"}, 404},
		{map[string]string{"type": "card", "value": "01"}, 400},
		{map[string]string{"domain": "hq", "type": "iris", "value": "01"}, 400},
		{map[string]string{"domain": "hq", "type": "card", "value": "not-hex"}, 400},
		{map[string]string{"domain": "hq", "type": "pin", "value": "12"}, 400},
		{map[string]string{"member": "alice", "domain": "other", "type": "card", "value": "01"}, 400},
		{map[string]string{"id": rm.Revocation.ID}, 400}, // revoke takes no id
		{map[string]string{}, 400},
		{`{"member": 5}`, 400},
	} {
		if code, body := f.call(t, "POST", "/api/admin/revoke", c.body); code != c.want {
			t.Errorf("revoke %v: %d %s, want %d", c.body, code, body, c.want)
		}
	}
	for _, c := range []struct {
		body any
		want int
	}{
		{map[string]string{"id": "member:nobody"}, 404},
		{map[string]string{"id": "garbage"}, 400},
		{map[string]string{"id": rm.Revocation.ID, "member": "alice"}, 400},
	} {
		if code, body := f.call(t, "POST", "/api/admin/unrevoke", c.body); code != c.want {
			t.Errorf("unrevoke %v: %d %s, want %d", c.body, code, body, c.want)
		}
	}

	f.mustCall(t, "POST", "/api/admin/unrevoke", map[string]string{"id": rm.Revocation.ID}, 200, nil)
	f.mustCall(t, "POST", "/api/admin/unrevoke", map[string]string{"domain": "hq", "type": "card", "value": "0B0B0B0B"}, 200, nil)
	for _, r := range []policy.Request{aliceCard, bobCard} {
		if d := h.Store().Decide(monday10, r); !d.Allowed() {
			t.Errorf("after unrevoke: %v, want allowed", d.Reason)
		}
	}
	evs := adminActions(t, h)
	for _, a := range []string{"revoke_member", "revoke_credential", "unrevoke_member", "unrevoke_credential"} {
		if !hasAction(evs, a, "ops-anna") {
			t.Errorf("no audit event %q", a)
		}
	}
	for _, e := range evs {
		if e.Action == "revoke_credential" && (e.Domain != "hq" || !strings.HasPrefix(e.Personal.CredentialRef, "card:")) {
			t.Errorf("revoke_credential event: domain %q ref %q", e.Domain, e.Personal.CredentialRef)
		}
	}
	if l := f.logs.String(); strings.Contains(strings.ToUpper(l), "0B0B0B0B") || strings.Contains(l, "0b:0b") {
		t.Errorf("a card value reached the log:\n%s", l)
	}
}

// TestAdminProvisionRotate: an admin lock gets a secret that the broker
// accepts (the hub's lock secret function), rotation re-issues it, a config
// lock refuses rotation, and secrets appear only in the one answer.
func TestAdminProvisionRotate(t *testing.T) {
	f := newAdminFixture(t)
	h := f.h
	var p ProvisionResponse
	f.mustCall(t, "POST", "/api/admin/locks", map[string]string{"id": "side-door", "domain": "hq", "name": "Side door", "fail_mode": "safe"}, 201, &p)
	if p.Secret == "" || p.MQTTUsername != "side-door" || p.Lock.Origin != "admin" || p.Lock.KeyGeneration != 1 || p.Lock.FailMode != "safe" {
		t.Fatalf("provision answer %+v", p.Lock)
	}
	if s, ok := h.lockSecret("side-door"); !ok || s != p.Secret {
		t.Errorf("the hub's lock secret for side-door does not match the provisioned one")
	}
	var r ProvisionResponse
	f.mustCall(t, "POST", "/api/admin/locks/side-door/rotate", nil, 200, &r)
	if r.Secret == p.Secret || r.Lock.KeyGeneration != 2 {
		t.Errorf("rotate: generation %d, secret changed %v", r.Lock.KeyGeneration, r.Secret != p.Secret)
	}
	if s, _ := h.lockSecret("side-door"); s != r.Secret {
		t.Error("after rotation the hub still accepts another secret")
	}
	// An admin lock survives a config reload and takes grants' decisions.
	if err := h.Reload(t.Context(), loadTestConfig(t, adminSiteYAML(f.dir))); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.lockSecret("side-door"); !ok {
		t.Error("config reload removed the admin lock")
	}
	code, body := f.call(t, "POST", "/api/admin/locks/front-door/rotate", nil)
	if code != http.StatusConflict || !strings.Contains(string(body), "key_generation") || !strings.Contains(string(body), "site config") {
		t.Errorf("rotate a config lock: %d %s, want 409 pointing at the config file", code, body)
	}
	for _, c := range []struct {
		path string
		body any
		want int
	}{
		{"/api/admin/locks", map[string]string{"id": "side-door", "domain": "hq"}, 409},
		{"/api/admin/locks", map[string]string{"id": "x", "domain": "nowhere"}, 400},
		{"/api/admin/locks", map[string]string{"id": "bad/id", "domain": "hq"}, 400},
		{"/api/admin/locks", map[string]string{"id": "", "domain": "hq"}, 400},
		{"/api/admin/locks", map[string]string{"id": "y", "domain": "hq", "fail_mode": "open"}, 400},
		{"/api/admin/locks", map[string]string{"id": "y", "domain": "hq", "name": strings.Repeat("n", 300)}, 400},
		{"/api/admin/locks/nowhere/rotate", nil, 404},
	} {
		if code, body := f.call(t, "POST", c.path, c.body); code != c.want {
			t.Errorf("POST %s %v: %d %s, want %d", c.path, c.body, code, body, c.want)
		}
	}
	evs := adminActions(t, h)
	if !hasAction(evs, "lock_provision", "ops-anna") || !hasAction(evs, "lock_rotate", "ops-anna") {
		t.Errorf("audit events %+v", evs)
	}
	logs := f.logs.String()
	for _, s := range []string{p.Secret, r.Secret} {
		if strings.Contains(logs, s) {
			t.Errorf("a lock secret reached the log")
		}
	}
}

// TestAdminClockReset: a clock mark ahead of the clock (a box that once ran
// in the future) makes decisions refuse; the reset restores them.
func TestAdminClockReset(t *testing.T) {
	f := newAdminFixture(t)
	h := f.h
	now := time.Now()
	h.Store().NoteDecisionTime(now.Add(24 * time.Hour))
	req := policy.Request{Lock: "garage", Member: "alice"}
	if d := h.Store().Decide(now, req); d.Reason != policy.ReasonClockUntrusted {
		t.Fatalf("mark ahead: %v", d.Reason)
	}
	if code, _ := f.call(t, "POST", "/api/admin/clock/reset", map[string]any{"to": now.Add(time.Hour)}); code != 400 {
		t.Errorf("reset to a time after the clock: %d, want 400", code)
	}
	if code, _ := f.call(t, "POST", "/api/admin/clock/reset", map[string]any{"clear": true, "to": now}); code != 400 {
		t.Errorf("reset with clear and to: %d, want 400", code)
	}
	var resp ClockResetResponse
	f.mustCall(t, "POST", "/api/admin/clock/reset", nil, 200, &resp)
	if resp.Previous == nil || resp.ClockMark == nil || resp.ClockMark.After(time.Now()) {
		t.Errorf("reset answer %+v", resp)
	}
	if d := h.Store().Decide(time.Now(), req); !d.Allowed() {
		t.Errorf("after the reset: %v", d.Reason)
	}
	f.mustCall(t, "POST", "/api/admin/clock/reset", `{"clear": true}`, 200, &resp)
	if resp.ClockMark != nil || !h.Store().ClockMark().Newest.IsZero() {
		t.Errorf("clear: %+v", resp)
	}
	if !hasAction(adminActions(t, h), "clock_reset", "ops-anna") {
		t.Error("no clock_reset audit event")
	}
}

func TestAdminActorHeader(t *testing.T) {
	f := newAdminFixture(t)
	req, _ := http.NewRequestWithContext(context.Background(), "POST", f.srv.URL+"/api/admin/locks/garage/keypad/clear", nil)
	req.Header.Set(ActorHeader, strings.Repeat("a", 65))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("a 65-character actor header: %d, want 400", resp.StatusCode)
	}
	req, _ = http.NewRequestWithContext(context.Background(), "POST", f.srv.URL+"/api/admin/locks/garage/keypad/clear", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !hasAction(adminActions(t, f.h), "keypad_unlock", "admin") {
		t.Errorf("no actor header: %d; want 200 and an event by \"admin\"", resp.StatusCode)
	}
}
