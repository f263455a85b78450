package hub_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/policy"
)

// siteYAML is a one-domain site on free ports in dir; gen is the front
// door's key generation and grant adds alice's grant when true.
func siteYAML(dir string, gen int, grant bool) string {
	y := fmt.Sprintf(`site:
  id: hub-test
  data_dir: %s
domains:
  - id: hq
    zone: Europe/Stockholm
locks:
  - id: front-door
    domain: hq
    key_generation: %d
keys:
  - id: office
    domain: hq
    locks: [front-door]
members:
  - id: alice
    domain: hq
    cards: ["04A1B2C3"]
mqtt:
  listeners:
    tcp:
      address: 127.0.0.1:0
http:
  address: 127.0.0.1:0
`, dir, gen)
	if grant {
		y += "grants:\n  - member: alice\n    key: office\n"
	}
	return y
}

func openHub(t *testing.T, yaml string) *hub.Hub {
	t.Helper()
	h, err := hub.New(mustLoad(t, yaml), hub.Deps{})
	if err != nil {
		t.Fatalf("hub.New: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func cardRequest(t *testing.T, h *hub.Hub, card string) policy.Request {
	t.Helper()
	c, err := h.Keys().Digest(policy.CredCard, card)
	if err != nil {
		t.Fatal(err)
	}
	return policy.Request{Lock: "front-door", Credential: c}
}

// TestReloadReplacesConfigRecordsOnly: a reload replaces the records of
// origin config as one batch, re-issues a lock's secret when its key
// generation rises, leaves records of other origins alone, and an invalid
// config is refused with the old one kept.
func TestReloadReplacesConfigRecordsOnly(t *testing.T) {
	dir := t.TempDir()
	h := openHub(t, siteYAML(dir, 1, true))
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	req := cardRequest(t, h, "04:a1:b2:c3")
	if d := h.Store().Decide(now, req); !d.Allowed() {
		t.Fatalf("before reload: Decide = %v, want allowed", d.Reason)
	}
	secret1, err := hub.LockSecret(h.Config(), "front-door")
	if err != nil {
		t.Fatal(err)
	}

	// An admin grant of another member, which the reload must not touch.
	b := store.NewBatch()
	b.PutMember(policy.Member{ID: "bob", Domain: "hq", Status: policy.StatusActive, Origin: policy.OriginAdmin},
		[]policy.Credential{cardRequest(t, h, "0B0B").Credential})
	b.PutGrant(policy.Grant{GrantKey: policy.GrantKey{Origin: policy.OriginAdmin, Kind: policy.KindManual, Reference: "bob-office"},
		Member: "bob", Access: "office"})
	if err := h.Store().Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}

	if err := h.Reload(t.Context(), mustLoad(t, siteYAML(dir, 2, false))); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if d := h.Store().Decide(now, req); d.Reason != policy.ReasonNoGrant {
		t.Errorf("after reload without alice's grant: Decide = %v, want no_grant", d.Reason)
	}
	if d := h.Store().Decide(now, cardRequest(t, h, "0B0B")); !d.Allowed() {
		t.Errorf("admin grant after a config reload: Decide = %v, want allowed", d.Reason)
	}
	secret2, err := hub.LockSecret(h.Config(), "front-door")
	if err != nil {
		t.Fatal(err)
	}
	if secret1 == secret2 {
		t.Error("raising key_generation did not re-issue the lock secret")
	}

	bad := mustLoad(t, siteYAML(dir, 2, true))
	bad.Locks[0].Domain = "nowhere"
	if err := h.Reload(t.Context(), bad); err == nil {
		t.Fatal("Reload accepted a config whose lock names an unknown domain")
	}
	if d := h.Store().Decide(now, req); d.Reason != policy.ReasonNoGrant {
		t.Errorf("after a refused reload: Decide = %v, want the previous config's no_grant", d.Reason)
	}
	if got := h.Config().Locks[0].KeyGeneration; got != 2 {
		t.Errorf("after a refused reload the config in force has key generation %d, want 2", got)
	}
}

// TestNewFailsCleanlyOnBusyPort: a port in use fails New with the address
// in the error, and the data directory is released for the next try.
func TestNewFailsCleanlyOnBusyPort(t *testing.T) {
	dir := t.TempDir()
	h := openHub(t, siteYAML(dir, 1, true))
	addr := h.Broker().Addrs().TCP
	other := t.TempDir()
	y := siteYAML(other, 1, true)
	cfg := mustLoad(t, y)
	cfg.MQTT.Listeners.TCP.Address = addr
	if _, err := hub.New(cfg, hub.Deps{}); err == nil {
		t.Fatalf("hub.New on busy %s succeeded", addr)
	}
	// The failed New released the other store: a second New can open it.
	h2, err := hub.New(mustLoad(t, y), hub.Deps{})
	if err != nil {
		t.Fatalf("hub.New after a failed New on the same data dir: %v", err)
	}
	h2.Close()
}
