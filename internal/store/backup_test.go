package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/lockhub/lockhub/policy"
)

// TestBackupLoad: a backup of an open store loads into an empty directory
// as the same records (revocations included) under a new epoch.
func TestBackupLoad(t *testing.T) {
	s, _ := openTemp(t)
	apply(t, s, fixtureBatch(t))
	b := NewBatch()
	b.PutRevocation(revokeMember("bob"))
	b.PutRevocation(revokeCred("hq", digest(t, policy.CredCard, "04A1B2C3")))
	apply(t, s, b)
	var buf bytes.Buffer
	if err := s.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	res, err := Load(dir, bytes.NewReader(buf.Bytes()), nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if res.OldEpoch != s.Epoch() || res.NewEpoch == s.Epoch() || res.NewEpoch == "" {
		t.Errorf("Load epochs %+v, original %s: want old = original, new different", res, s.Epoch())
	}
	r := openAt(t, dir)
	defer r.Close()
	if r.Epoch() != res.NewEpoch {
		t.Errorf("reopened restored store has epoch %s, want %s", r.Epoch(), res.NewEpoch)
	}
	if got, want := dump(r), dump(s); got != want {
		t.Errorf("restored store differs:\n got %s\nwant %s", got, want)
	}
	if got, want := len(r.Revocations()), 2; got != want {
		t.Errorf("restored revocations: %d, want %d", got, want)
	}
	for _, req := range []policy.Request{{Lock: "front", Credential: digest(t, policy.CredCard, "04A1B2C3")},
		{Lock: "front", Member: "bob"}, {Lock: "front", Member: "alice"}, {Lock: "garage", Member: "alice"}} {
		if a, b := s.Decide(t0, req), r.Decide(t0, req); a != b {
			t.Errorf("Decide(%+v): original %v, restored %v", req, a, b)
		}
	}
}

func TestLoadRefuses(t *testing.T) {
	s, _ := openTemp(t)
	apply(t, s, fixtureBatch(t))
	var buf bytes.Buffer
	if err := s.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(full, bytes.NewReader(buf.Bytes()), nil); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("Load into a non-empty directory: %v, want ErrNotEmpty", err)
	}
	for name, in := range map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("\x05\x00\x00\x00\x00\x00\x00\x00hello"),
		"truncated": buf.Bytes()[:buf.Len()/2],
	} {
		if _, err := Load(filepath.Join(t.TempDir(), "s"), bytes.NewReader(in), nil); err == nil {
			t.Errorf("%s: Load accepted it", name)
		}
	}
}
