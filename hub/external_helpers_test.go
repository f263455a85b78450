package hub_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices"
	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/internal/keys"
	"github.com/lockhub/lockhub/simulators/locks"
)

// Shared by the external-mode tests.
const (
	extHubUser   = "lockhub-hub"
	extHubPass   = "hub-password-for-tests"
	extCard      = "04A1B2C3"
	extWait      = 15 * time.Second
	extGroupName = "lockhub"
)

// extLockIDs names n locks.
func extLockIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("door-%03d", i)
	}
	return ids
}

// extSiteYAML is a one-domain site whose member alice (card extCard) may
// open every lock; mqtt is the mqtt section (indented two spaces).
func extSiteYAML(dataDir, siteID, masterKey string, lockIDs []string, mqtt string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "site:\n  id: %s\n  data_dir: %s\n  master_key_file: %s\n", siteID, dataDir, masterKey)
	b.WriteString("domains:\n  - id: hq\n    zone: Europe/Stockholm\nlocks:\n")
	for _, id := range lockIDs {
		fmt.Fprintf(&b, "  - id: %s\n    domain: hq\n", id)
	}
	fmt.Fprintf(&b, "keys:\n  - id: all\n    domain: hq\n    locks: [%s]\n", strings.Join(lockIDs, ", "))
	fmt.Fprintf(&b, "members:\n  - id: alice\n    domain: hq\n    cards: [%q]\n", extCard)
	b.WriteString("grants:\n  - member: alice\n    key: all\n")
	b.WriteString("http:\n  address: 127.0.0.1:0\n")
	b.WriteString("mqtt:\n" + mqtt)
	return b.String()
}

// externalMQTT is the mqtt section of an external-mode hub.
func externalMQTT(url, passwordFile string) string {
	return fmt.Sprintf("  mode: external\n  external:\n    url: %s\n    username: %s\n    password_file: %s\n    reconnect_max: 2s\n",
		url, extHubUser, passwordFile)
}

// embeddedMQTT is the mqtt section of an embedded-mode hub on a free port.
const embeddedMQTT = "  listeners:\n    tcp:\n      address: 127.0.0.1:0\n"

// newMasterKey makes a master key file and returns its path and key.
func newMasterKey(tb testing.TB, dir string) (string, *keys.Master) {
	tb.Helper()
	path := filepath.Join(dir, "master.key")
	m, err := keys.LoadOrCreate(path)
	if err != nil {
		tb.Fatal(err)
	}
	return path, m
}

// writeSecretFile writes a 0600 file in dir.
func writeSecretFile(tb testing.TB, dir, name, value string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// brokerUsers are the mosquitto users: the hub user and every lock with
// its derived secret (what `lockhub device secret` prints).
func brokerUsers(m *keys.Master, lockIDs []string) map[string]string {
	u := map[string]string{extHubUser: extHubPass}
	for _, id := range lockIDs {
		u[id] = m.LockSecret(id, hub.DefaultKeyGeneration)
	}
	return u
}

// lockIdentity derives a simulated lock's identity from the master key.
func lockIdentity(m *keys.Master, id string) locks.Identity {
	return locks.Identity{ID: id, Secret: m.LockSecret(id, hub.DefaultKeyGeneration),
		CommandKey: m.LockCommandKey(id, hub.DefaultKeyGeneration)}
}

// runHub opens and runs a hub until the test ends.
func runHub(tb testing.TB, yaml string) *hub.Hub {
	tb.Helper()
	cfg, err := hub.LoadConfig(strings.NewReader(yaml))
	if err != nil {
		tb.Fatalf("LoadConfig: %v", err)
	}
	h, err := hub.New(cfg, hub.Deps{})
	if err != nil {
		tb.Fatalf("hub.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("hub Run: %v", err)
		}
		h.Close()
	})
	if ext := h.External(); ext != nil {
		waitUntil(tb, "hub connected to the external broker", ext.Connected)
	}
	return h
}

// presenceOf returns a lock's presence from whichever transport runs.
func presenceOf(h *hub.Hub, lock string) (devices.LockPresence, bool) {
	if ext := h.External(); ext != nil {
		return ext.LockPresence(lock)
	}
	return h.Broker().LockPresence(lock)
}

func waitUntil(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	poll(tb, extWait, what, cond)
}

// connectLockURL connects one simulated MQTT 3.1.1 lock to the broker at url.
func connectLockURL(tb testing.TB, url string, id locks.Identity) *locks.Lock {
	tb.Helper()
	l := newSimLock(tb, "", id, locks.MQTT311, func(c *locks.LockConfig) {
		c.BrokerURL, c.RequestTimeout = url, 2*time.Second
		c.EventResend = 500 * time.Millisecond
	})
	ctx, cancel := context.WithTimeout(context.Background(), extWait)
	defer cancel()
	if err := l.Connect(ctx); err != nil {
		tb.Fatalf("lock %s connect: %v", id.ID, err)
	}
	return l
}
