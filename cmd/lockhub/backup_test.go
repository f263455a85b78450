package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/policy"
)

// waitHTTP waits until url answers 200.
func waitHTTP(t *testing.T, url string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("%s did not answer", url)
}

// TestBackupRestoreCommands: lockhub backup against a running hub's API (its
// store locked; a loopback request needs no token, tokens are tested in the
// hub package), then lockhub restore onto a fresh data directory; the
// restored box decides like the old one, in a new epoch. Passphrases and
// tokens come from the environment or a file.
func TestBackupRestoreCommands(t *testing.T) {
	path := siteConfig(t)
	y, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	y = append(y, "  admin_token_env: LOCKHUB_TEST_ADMIN_TOKEN\n"...) // under http:, the file's last section
	if err := os.WriteFile(path, y, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LOCKHUB_TEST_ADMIN_TOKEN", "tok-123")
	cfg, err := hub.LoadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(cfg, hub.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan error, 1)
	go func() { ran <- h.Run(ctx) }()
	defer func() { cancel(); <-ran }()
	hubURL := "http://" + h.HTTPAddrs().Main
	waitHTTP(t, hubURL+"/healthz")
	t.Setenv("LOCKHUB_ADMIN_TOKEN", "tok-123")
	t.Setenv("LOCKHUB_BACKUP_PASSPHRASE", "a long enough passphrase")
	out := filepath.Join(t.TempDir(), "site.lhb")

	if code, _, errOut := runMain(t, "backup", "-hub", hubURL, "-o", out); code != exitOK {
		t.Fatalf("backup: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runMain(t, "backup", "-hub", hubURL, "-o", out); code != exitFailure || !strings.Contains(errOut, "exists") {
		t.Errorf("backup over an existing file: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runMain(t, "backup", "-hub", hubURL, "-token-env", "NO_SUCH_VAR_XYZ", "-o", out+"2"); code != exitFailure || !strings.Contains(errOut, "NO_SUCH_VAR_XYZ") {
		t.Errorf("backup without a token: exit %d, %s", code, errOut)
	}
	t.Setenv("WRONG_TOKEN", "nope")
	if code, _, errOut := runMain(t, "backup", "-hub", hubURL, "-token-env", "WRONG_TOKEN", "-o", out+"3"); code != exitFailure || !strings.Contains(errOut, "401") {
		t.Errorf("backup with a wrong token: exit %d, %s", code, errOut)
	}

	// Restore onto a fresh data dir: a copy of the config pointing elsewhere.
	fresh := filepath.Join(t.TempDir(), "fresh")
	y2 := strings.Replace(string(y), "data_dir: "+cfg.Site.DataDir, "data_dir: "+fresh, 1)
	path2 := filepath.Join(t.TempDir(), "hub2.yaml")
	if err := os.WriteFile(path2, []byte(y2), 0o600); err != nil {
		t.Fatal(err)
	}
	passFile := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(passFile, []byte("wrong passphrase here\n"), 0o600)
	if code, _, errOut := runMain(t, "restore", "-config", path2, "-passphrase-file", passFile, out); code != exitFailure || !strings.Contains(errOut, "wrong passphrase") {
		t.Errorf("restore with a wrong passphrase: exit %d, %s", code, errOut)
	}
	os.WriteFile(passFile, []byte("a long enough passphrase\n"), 0o600)
	code, stdout, errOut := runMain(t, "restore", "-config", path2, "-passphrase-file", passFile, out)
	if code != exitOK || !strings.Contains(stdout, "(new)") {
		t.Fatalf("restore: exit %d, %s %s", code, stdout, errOut)
	}
	if code, _, errOut := runMain(t, "restore", "-config", path2, "-passphrase-file", passFile, out); code != exitFailure || !strings.Contains(errOut, "not fresh") {
		t.Errorf("second restore onto the same dir: exit %d, %s", code, errOut)
	}
	cfg2, err := hub.LoadConfigFile(path2)
	if err != nil {
		t.Fatal(err)
	}
	r, err := hub.New(cfg2, hub.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Store().Epoch() == h.Store().Epoch() {
		t.Error("restored hub has the old epoch")
	}
	mon := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{mon, mon.Add(12 * time.Hour)} {
		for _, m := range []string{"alice", "nobody"} {
			q := policy.Request{Lock: "front-door", Member: m}
			if a, b := h.Store().Decide(at, q), r.Store().Decide(at, q); a != b {
				t.Errorf("Decide(%v, %s): restored %+v, old %+v", at, m, b, a)
			}
		}
	}

	// explain -hub asks the running hub.
	code, stdout, errOut = runMain(t, "explain", "-hub", hubURL, "-lock", "front-door", "-member", "alice", "-at", "2026-11-23T10:00:00+01:00")
	if code != exitOK || !strings.HasPrefix(stdout, "ALLOW allowed") || !strings.Contains(stdout, "office") {
		t.Errorf("explain -hub: exit %d, %q %s", code, stdout, errOut)
	}
}
