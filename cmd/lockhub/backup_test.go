package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/policy"
)

// standInAPI serves what the hub's HTTP server serves for these commands
// (POST /api/admin/backup and GET /api/explain), checking the bearer
// token; the real routes are tested in package hub.
func standInAPI(t *testing.T, h *hub.Hub, token string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	auth := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"admin token required"}`))
			return false
		}
		return true
	}
	mux.HandleFunc("POST /api/admin/backup", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		var b struct {
			Passphrase string `json:"passphrase"`
			Iterations int    `json:"iterations"`
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			w.WriteHeader(400)
			return
		}
		if _, err := h.Backup(r.Context(), w, hub.BackupOptions{Passphrase: b.Passphrase, Iterations: 1000}, "cli"); err != nil {
			panic(http.ErrAbortHandler)
		}
	})
	mux.HandleFunc("GET /api/explain", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		q := r.URL.Query()
		at, _ := time.Parse(time.RFC3339Nano, q.Get("at"))
		req := policy.Request{Lock: q.Get("lock"), Member: q.Get("member")}
		json.NewEncoder(w).Encode(hub.NewExplainResponse(req.Lock, at, h.Store().Explain(at, req)))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestBackupRestoreCommands: lockhub backup against a running hub (its
// store locked), then lockhub restore onto a fresh data directory; the
// restored box decides like the old one, in a new epoch. Passphrases and
// tokens come from the environment or a file.
func TestBackupRestoreCommands(t *testing.T) {
	path := siteConfig(t)
	cfg, err := hub.LoadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(cfg, hub.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	srv := standInAPI(t, h, "tok-123")
	t.Setenv("LOCKHUB_ADMIN_TOKEN", "tok-123")
	t.Setenv("LOCKHUB_BACKUP_PASSPHRASE", "a long enough passphrase")
	out := filepath.Join(t.TempDir(), "site.lhb")

	if code, _, errOut := runMain(t, "backup", "-hub", srv.URL, "-o", out); code != exitOK {
		t.Fatalf("backup: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runMain(t, "backup", "-hub", srv.URL, "-o", out); code != exitFailure || !strings.Contains(errOut, "exists") {
		t.Errorf("backup over an existing file: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runMain(t, "backup", "-hub", srv.URL, "-token-env", "NO_SUCH_VAR_XYZ", "-o", out+"2"); code != exitFailure || !strings.Contains(errOut, "NO_SUCH_VAR_XYZ") {
		t.Errorf("backup without a token: exit %d, %s", code, errOut)
	}
	t.Setenv("WRONG_TOKEN", "nope")
	if code, _, errOut := runMain(t, "backup", "-hub", srv.URL, "-token-env", "WRONG_TOKEN", "-o", out+"3"); code != exitFailure || !strings.Contains(errOut, "401") {
		t.Errorf("backup with a wrong token: exit %d, %s", code, errOut)
	}

	// Restore onto a fresh data dir: a copy of the config pointing elsewhere.
	fresh := filepath.Join(t.TempDir(), "fresh")
	y, _ := os.ReadFile(path)
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
	code, stdout, errOut = runMain(t, "explain", "-hub", srv.URL, "-lock", "front-door", "-member", "alice", "-at", "2026-11-23T10:00:00+01:00")
	if code != exitOK || !strings.HasPrefix(stdout, "ALLOW allowed") || !strings.Contains(stdout, "office") {
		t.Errorf("explain -hub: exit %d, %q %s", code, stdout, errOut)
	}
}
