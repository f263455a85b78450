package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// siteConfig writes a small site config using free ports and a temp data dir.
func siteConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := `site:
  id: cli-test
  data_dir: ` + filepath.Join(dir, "data") + `
domains:
  - id: hq
    zone: Europe/Stockholm
locks:
  - id: front-door
    domain: hq
keys:
  - id: office
    domain: hq
    locks: [front-door]
    schedule:
      - days: [mon-fri]
        from: "08:00"
        until: "18:00"
members:
  - id: alice
    domain: hq
    name: Alice
    cards: ["04:A1:B2:C3"]
grants:
  - member: alice
    key: office
mqtt:
  listeners:
    tcp:
      address: 127.0.0.1:0
http:
  address: 127.0.0.1:0
`
	path := filepath.Join(dir, "hub.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRunThenToolsOnTheStoppedHub runs the hub in-process until it has made
// its master key and store, stops it, then uses device and explain on the
// stopped hub's files.
func TestRunThenToolsOnTheStoppedHub(t *testing.T) {
	cfg := siteConfig(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int)
	var errOut bytes.Buffer
	go func() {
		done <- realMain(ctx, []string{"run", "-config", cfg, "-log-level", "warn"}, &bytes.Buffer{}, &errOut)
	}()
	key := filepath.Join(filepath.Dir(cfg), "data", "master.key")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(filepath.Dir(cfg), "data", "events")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub did not start; stderr:\n%s", errOut.String())
		}
	}
	time.Sleep(100 * time.Millisecond) // let Run start serving before stopping it
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("run: exit %d, stderr:\n%s", code, errOut.String())
	}
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("master key %v, %v; want a 0600 file", st, err)
	}

	code, out, stderr := runMain(t, "device", "-config", cfg, "secret", "front-door")
	if code != exitOK || len(strings.TrimSpace(out)) != 43 {
		t.Fatalf("device secret: exit %d, out %q, stderr %q; want a 43-character secret", code, out, stderr)
	}
	code, _, stderr = runMain(t, "device", "-config", cfg, "secret", "no-such-lock")
	if code != exitFailure || !strings.Contains(stderr, "not configured") {
		t.Errorf("device secret of an unknown lock: exit %d, stderr %q", code, stderr)
	}

	monday10 := "2026-11-23T10:00:00+01:00"
	code, out, stderr = runMain(t, "explain", "-config", cfg, "-lock", "front-door", "-card", "04a1b2c3", "-at", monday10)
	if code != exitOK || !strings.HasPrefix(out, "ALLOW allowed") || !strings.Contains(out, "config/manual/alice/office") {
		t.Errorf("explain card at Monday 10:00: exit %d, out:\n%s\nstderr %q", code, out, stderr)
	}
	code, out, _ = runMain(t, "explain", "-config", cfg, "-lock", "front-door", "-member", "alice", "-at", "2026-11-23T20:00:00+01:00")
	if code != exitOK || !strings.HasPrefix(out, "DENY outside_schedule") {
		t.Errorf("explain member at Monday 20:00: exit %d, out:\n%s", code, out)
	}
	code, out, _ = runMain(t, "explain", "-config", cfg, "-lock", "front-door", "-pin", "1234", "-at", monday10)
	if code != exitOK || !strings.HasPrefix(out, "DENY unknown_credential") || strings.Contains(out, "1234") {
		t.Errorf("explain unknown PIN: exit %d, out:\n%s", code, out)
	}
	code, _, stderr = runMain(t, "explain", "-config", cfg, "-lock", "front-door")
	if code != exitUsage {
		t.Errorf("explain without a member or credential: exit %d, stderr %q; want usage", code, stderr)
	}
}
