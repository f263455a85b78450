package hub

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

const testPassphrase = "correct horse battery staple"

// backupViaAPI asks the fixture's running hub for an archive.
func backupViaAPI(t *testing.T, f *adminFixture) []byte {
	t.Helper()
	return f.mustCall(t, "POST", "/api/admin/backup", map[string]any{"passphrase": testPassphrase, "iterations": 1000}, 200, nil)
}

// TestBackupRestoreSameDecisions: a backup of a running hub (through the
// API, with the store locked by the hub) restored onto a fresh data
// directory decides every request as the old box did, keeps revocations and
// admin locks, and runs in a new epoch whose event log starts afresh.
func TestBackupRestoreSameDecisions(t *testing.T) {
	f := newAdminFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.h.Run(ctx) }()
	defer func() { cancel(); <-done }()

	f.mustCall(t, "POST", "/api/admin/locks", map[string]string{"id": "side-door", "domain": "hq"}, 201, nil)
	f.mustCall(t, "POST", "/api/admin/revoke", map[string]string{"member": "bob", "type": "pin", "value": "4711"}, 201, nil)
	f.mustCall(t, "POST", "/api/admin/locks/garage/lockdown", map[string]bool{"on": true}, 200, nil)
	archive := backupViaAPI(t, f)
	if bytes.Contains(archive, []byte("alice")) || bytes.Contains(archive, []byte(testPassphrase)) {
		t.Fatal("the archive holds plaintext")
	}
	if !hasAction(adminActions(t, f.h), "backup", "ops-anna") {
		t.Error("no backup audit event")
	}
	if man, err := VerifyBackup(bytes.NewReader(archive), testPassphrase); err != nil || man.StoreEpoch != f.h.Store().Epoch() || man.Site != "admin-test" {
		t.Fatalf("VerifyBackup: %+v, %v", man, err)
	}

	fresh := filepath.Join(t.TempDir(), "fresh")
	cfg := loadTestConfig(t, adminSiteYAML(fresh))
	info, err := Restore(cfg, bytes.NewReader(archive), RestoreOptions{Passphrase: testPassphrase})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if info.OldEpoch != f.h.Store().Epoch() || info.NewEpoch == info.OldEpoch || info.KeyFiles < 2 {
		t.Errorf("restore info %+v (old hub epoch %s); want the old epoch, a new one, master + event keys", info, f.h.Store().Epoch())
	}
	if _, err := os.Stat(filepath.Join(fresh, eventKeysDirName)); err != nil {
		t.Errorf("event keys not restored: %v", err)
	}
	r, err := New(cfg, Deps{})
	if err != nil {
		t.Fatalf("New on the restored data dir: %v", err)
	}
	defer r.Close()
	if r.Store().Epoch() != info.NewEpoch || r.Store().Epoch() == f.h.Store().Epoch() {
		t.Errorf("restored hub epoch %s, old %s, restore said %s", r.Store().Epoch(), f.h.Store().Epoch(), info.NewEpoch)
	}
	if !bytes.Equal(mustRead(t, cfg.MasterKeyPath()), mustRead(t, f.cfg.MasterKeyPath())) {
		t.Error("master key differs")
	}

	n := 0
	for _, lock := range []string{"front-door", "garage", "side-door", "nowhere"} {
		for _, at := range []time.Time{monday10, monday10.Add(10 * time.Hour), monday10.Add(5 * 24 * time.Hour), monday10.Add(-30 * 24 * time.Hour)} {
			reqs := []policy.Request{{Lock: lock, Member: "alice"}, {Lock: lock, Member: "bob"}, {Lock: lock, Member: "carol"}}
			for _, cred := range []struct {
				t policy.CredentialType
				v string
			}{{policy.CredCard, "04A1B2C3"}, {policy.CredCard, "0B0B0B0B"}, {policy.CredPIN, "4711"}, {policy.CredCard, "FFFF"}} {
				// Digested by each hub's own (restored) master key.
				a, _ := f.h.Keys().Digest(cred.t, cred.v)
				b, _ := r.Keys().Digest(cred.t, cred.v)
				if a != b {
					t.Fatalf("credential digests differ between the hubs")
				}
				reqs = append(reqs, policy.Request{Lock: lock, Credential: a})
			}
			for _, q := range reqs {
				want, got := f.h.Store().Decide(at, q), r.Store().Decide(at, q)
				if want != got {
					t.Errorf("Decide(%s, %s, %q) restored = %+v, old = %+v", at.Format(time.RFC3339), lock, q.Member, got, want)
				}
				n++
			}
		}
	}
	// The checks above must cover both outcomes.
	allowed := r.Store().Decide(monday10, policy.Request{Lock: "front-door", Member: "alice"}).Allowed()
	denied := r.Store().Decide(monday10, policy.Request{Lock: "garage", Member: "alice"}).Reason == policy.ReasonLockdown
	pin, _ := r.Keys().Digest(policy.CredPIN, "4711")
	revoked := r.Store().Decide(monday10, policy.Request{Lock: "front-door", Credential: pin}).Reason == policy.ReasonUnknownCredential
	if !allowed || !denied || !revoked || n == 0 {
		t.Errorf("restored hub: allowed %v, lockdown kept %v, revocation kept %v", allowed, denied, revoked)
	}
	if s, ok := r.lockSecret("side-door"); !ok || s != mustSecret(t, f.h, "side-door") {
		t.Error("admin lock's secret differs after restore")
	}

	// The restored event log starts at seq 1 in the new epoch.
	if err := r.recordAdmin(t.Context(), adminEvent{Action: "test", Actor: "t"}); err != nil {
		t.Fatal(err)
	}
	evs, err := r.Events().Recent(10)
	if err != nil || len(evs) != 1 || evs[0].Epoch != info.NewEpoch || evs[0].Seq != 1 {
		t.Errorf("restored event log: %+v, %v; want one event, seq 1, epoch %s", evs, err, info.NewEpoch)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustSecret(t *testing.T, h *Hub, lock string) string {
	t.Helper()
	s, ok := h.lockSecret(lock)
	if !ok {
		t.Fatalf("no secret for %s", lock)
	}
	return s
}

// TestRestoreRefuses: wrong passphrase, garbage, truncation at any point,
// a flipped byte, oversize headers and chunks, a used data directory: each
// is refused with its error and leaves nothing in the data directory.
func TestRestoreRefuses(t *testing.T) {
	f := newAdminFixture(t)
	archive := backupViaAPI(t, f)
	bigIter := bytes.Clone(archive)
	bigIter[12], bigIter[13], bigIter[14], bigIter[15] = 0xff, 0xff, 0xff, 0xff
	bigChunk := bytes.Clone(archive)
	bigChunk[archiveHeaderSize] = 0x7f
	flipped := bytes.Clone(archive)
	flipped[len(flipped)/2] ^= 1
	version := bytes.Clone(archive)
	version[8] = 9
	trailing := append(bytes.Clone(archive), 0)
	man := []byte(`{"format":"lockhub-backup","version":1,"store_epoch":"e"}`)
	twoChunks := sealRecords(t, plainRecords(t, rec(recManifest, "manifest", man), rec(recKeyFile, masterKeyName, make([]byte, 32)),
		rec(recStore, "store", make([]byte, archiveChunkSize)), rec(recEnd, "", []byte(`{"key_files":1,"store_bytes":65536}`))), testPassphrase, 1000)
	cases := []struct {
		name string
		in   []byte
		pass string
		want error
	}{
		{"wrong passphrase", archive, "not the passphrase", ErrBackupAuth},
		{"garbage", []byte("this is not a backup at all, just text"), testPassphrase, ErrNotBackup},
		{"empty", nil, testPassphrase, ErrNotBackup},
		{"header only", archive[:archiveHeaderSize], testPassphrase, ErrBackupTruncated},
		{"cut in the header", archive[:20], testPassphrase, ErrBackupTruncated},
		{"cut in a chunk", archive[:archiveHeaderSize+100], testPassphrase, ErrBackupTruncated},
		{"cut at a chunk boundary", twoChunks[:archiveHeaderSize+4+archiveChunkSize+archiveTagSize], testPassphrase, ErrBackupTruncated},
		{"last byte missing", archive[:len(archive)-1], testPassphrase, ErrBackupTruncated},
		{"trailing byte", trailing, testPassphrase, ErrBackupMalformed},
		{"flipped byte", flipped, testPassphrase, ErrBackupAuth},
		{"future version", version, testPassphrase, ErrBackupVersion},
		{"oversize iterations", bigIter, testPassphrase, ErrBackupTooLarge},
		{"oversize chunk", bigChunk, testPassphrase, ErrBackupMalformed},
		{"empty passphrase", archive, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			cfg := loadTestConfig(t, adminSiteYAML(dir))
			_, err := Restore(cfg, bytes.NewReader(c.in), RestoreOptions{Passphrase: c.pass})
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("Restore: %v, want %v", err, c.want)
			}
			if strings.Contains(err.Error(), testPassphrase) {
				t.Errorf("error repeats the passphrase: %v", err)
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 0 {
				t.Errorf("a failed restore left %d entries in the data dir", len(ents))
			}
		})
	}
	t.Run("used data dir", func(t *testing.T) {
		if _, err := Restore(f.cfg, bytes.NewReader(archive), RestoreOptions{Passphrase: testPassphrase}); !errors.Is(err, ErrDataDirInUse) {
			t.Errorf("restore onto the live hub's data dir: %v, want ErrDataDirInUse", err)
		}
	})
	t.Run("store limit", func(t *testing.T) {
		cfg := loadTestConfig(t, adminSiteYAML(filepath.Join(t.TempDir(), "data")))
		_, err := Restore(cfg, bytes.NewReader(archive), RestoreOptions{Passphrase: testPassphrase, Limits: ReadLimits{MaxStoreBytes: 10}})
		if !errors.Is(err, ErrBackupTooLarge) {
			t.Errorf("store over the limit: %v, want ErrBackupTooLarge", err)
		}
	})
}

// TestBackupAPIRefuses: a short passphrase or bad iteration count is a 400
// before any archive byte.
func TestBackupAPIRefuses(t *testing.T) {
	f := newAdminFixture(t)
	for _, body := range []any{
		map[string]any{"passphrase": "short"},
		map[string]any{"passphrase": testPassphrase, "iterations": -1},
		map[string]any{"passphrase": testPassphrase, "iterations": MaxBackupIterations + 1},
		`{"passphrase": 1}`,
	} {
		if code, b := f.call(t, "POST", "/api/admin/backup", body); code != 400 || !strings.Contains(string(b), `"error"`) {
			t.Errorf("backup %v: %d %s, want 400", body, code, b)
		}
	}
	if strings.Contains(f.logs.String(), testPassphrase) {
		t.Error("passphrase in the log")
	}
}

// plainRecords builds a plaintext record stream for the record decoder.
func plainRecords(tb testing.TB, recs ...func(io.Writer) error) []byte {
	tb.Helper()
	var b bytes.Buffer
	for _, r := range recs {
		if err := r(&b); err != nil {
			tb.Fatal(err)
		}
	}
	return b.Bytes()
}

func rec(typ byte, name string, data []byte) func(io.Writer) error {
	return func(w io.Writer) error { return writeRecord(w, typ, name, data) }
}

func validRecords(tb testing.TB) []byte {
	man := []byte(`{"format":"lockhub-backup","version":1,"site":"s","created":"2026-01-01T00:00:00Z","store_epoch":"e"}`)
	return plainRecords(tb, rec(recManifest, "manifest", man), rec(recKeyFile, masterKeyName, make([]byte, 32)),
		rec(recKeyFile, "events-keys/hq/20260101.key", make([]byte, 32)), rec(recStore, "store", []byte("abc")),
		rec(recEnd, "", []byte(`{"key_files":2,"store_bytes":3}`)))
}

// TestDecodeRecordsRefuses: the plaintext layer, with crypto out of the way.
func TestDecodeRecordsRefuses(t *testing.T) {
	good := validRecords(t)
	if _, err := decodeRecords(bytes.NewReader(good), ReadLimits{}, discardSink{}); err != nil {
		t.Fatalf("valid records: %v", err)
	}
	man := []byte(`{"format":"lockhub-backup","version":1,"store_epoch":"e"}`)
	mk := rec(recKeyFile, masterKeyName, make([]byte, 32))
	st := rec(recStore, "store", []byte("abc"))
	end := rec(recEnd, "", []byte(`{"key_files":1,"store_bytes":3}`))
	m := rec(recManifest, "manifest", man)
	hugeName := append([]byte{recKeyFile}, 0xff, 0xff, 0x03)
	hugeData := append([]byte{recStore, 5}, append([]byte("store"), 0xff, 0xff, 0xff, 0x7f)...)
	for name, c := range map[string]struct {
		in   []byte
		want error
	}{
		"empty":             {nil, ErrBackupTruncated},
		"no manifest":       {plainRecords(t, mk, st, end), ErrBackupMalformed},
		"two manifests":     {plainRecords(t, m, m, mk, st, end), ErrBackupMalformed},
		"bad manifest":      {plainRecords(t, rec(recManifest, "manifest", []byte(`{"format":"zip"}`)), mk, st, end), ErrBackupMalformed},
		"no end":            {plainRecords(t, m, mk, st), ErrBackupTruncated},
		"cut in record":     {good[:len(good)-5], ErrBackupTruncated},
		"wrong counts":      {plainRecords(t, m, mk, st, rec(recEnd, "", []byte(`{"key_files":2,"store_bytes":3}`))), ErrBackupMalformed},
		"no master key":     {plainRecords(t, m, st, rec(recEnd, "", []byte(`{"key_files":0,"store_bytes":3}`))), ErrBackupMalformed},
		"no store":          {plainRecords(t, m, mk, rec(recEnd, "", []byte(`{"key_files":1,"store_bytes":0}`))), ErrBackupMalformed},
		"path traversal":    {plainRecords(t, m, rec(recKeyFile, "events-keys/../20260101.key", make([]byte, 32))), ErrBackupMalformed},
		"absolute name":     {plainRecords(t, m, rec(recKeyFile, "/etc/passwd", make([]byte, 32))), ErrBackupMalformed},
		"short key":         {plainRecords(t, m, rec(recKeyFile, masterKeyName, make([]byte, 31))), ErrBackupMalformed},
		"repeated key":      {plainRecords(t, m, mk, mk), ErrBackupMalformed},
		"key after store":   {plainRecords(t, m, st, mk), ErrBackupMalformed},
		"unknown record":    {plainRecords(t, m, rec('Z', "z", nil)), ErrBackupMalformed},
		"oversize name":     {append(plainRecords(t, m), hugeName...), ErrBackupTooLarge},
		"oversize record":   {append(plainRecords(t, m), hugeData...), ErrBackupTooLarge},
		"oversize manifest": {plainRecords(t, rec(recManifest, "manifest", make([]byte, maxManifestSize+1))), ErrBackupTooLarge},
		"after end":         {append(bytes.Clone(good), 'M'), ErrBackupMalformed},
	} {
		if _, err := decodeRecords(bytes.NewReader(c.in), ReadLimits{}, discardSink{}); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

// sealRecords encrypts a plaintext record stream as an archive.
func sealRecords(tb testing.TB, plain []byte, pass string, iter int) []byte {
	tb.Helper()
	var b bytes.Buffer
	cw, err := newChunkWriter(&b, pass, iter)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := cw.Write(plain); err != nil {
		tb.Fatal(err)
	}
	if err := cw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

const fuzzPass = "fuzz-passphrase"

// FuzzDecodeRecords: the plaintext record layer never panics and never
// accepts a stream without its manifest, master key, store and end.
func FuzzDecodeRecords(f *testing.F) {
	f.Add(validRecords(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		man, err := decodeRecords(bytes.NewReader(data), ReadLimits{MaxStoreBytes: 1 << 20}, discardSink{})
		if err == nil && (man.Format != backupFormat || man.StoreEpoch == "") {
			t.Fatalf("accepted a stream with manifest %+v", man)
		}
	})
}

// FuzzReadArchive: the whole reader (header, chunks, authentication,
// records) on arbitrary bytes, with a low iteration cap so a forged header
// cannot make an input slow.
func FuzzReadArchive(f *testing.F) {
	f.Add(sealRecords(f, validRecords(f), fuzzPass, 2))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := readArchive(bytes.NewReader(data), fuzzPass, ReadLimits{MaxIterations: 16, MaxStoreBytes: 1 << 20}, discardSink{})
		if err != nil && strings.Contains(err.Error(), fuzzPass) {
			t.Fatalf("error repeats the passphrase: %v", err)
		}
	})
}

// TestChunkWriterRoundTrip: many chunks, the final one empty or not.
func TestChunkWriterRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, archiveChunkSize - 1, archiveChunkSize, 3*archiveChunkSize + 17} {
		plain := bytes.Repeat([]byte{0xa5}, n)
		arch := sealRecords(t, plain, fuzzPass, 3)
		cr, err := newChunkReader(bytes.NewReader(arch), fuzzPass, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(cr)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%d bytes: got %d, %v", n, len(got), err)
		}
	}
}
