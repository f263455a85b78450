package keys

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockhub/lockhub/policy"
)

func testMaster(tb testing.TB, seed byte) *Master {
	tb.Helper()
	m, err := New(bytes.Repeat([]byte{seed}, Size))
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return m
}

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	path := filepath.Join(dir, "master.key")
	m1, err := LoadOrCreate(path)
	if err != nil {
		t.Fatalf("LoadOrCreate (create): %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", got)
	}
	if fi.Size() != Size {
		t.Errorf("key file size = %d, want %d", fi.Size(), Size)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := di.Mode().Perm(); got != 0o700 {
		t.Errorf("key dir mode = %04o, want 0700", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("key dir holds %d entries, want only the key file", len(entries))
	}

	m2, err := LoadOrCreate(path)
	if err != nil {
		t.Fatalf("LoadOrCreate (reload): %v", err)
	}
	m3, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, m := range []*Master{m2, m3} {
		if m.LockSecret("door-1", 0) != m1.LockSecret("door-1", 0) {
			t.Errorf("reloaded key derives a different lock secret")
		}
		if m.CredentialDigest(policy.CredCard, "04A1") != m1.CredentialDigest(policy.CredCard, "04A1") {
			t.Errorf("reloaded key derives a different credential digest")
		}
	}

	other, err := LoadOrCreate(filepath.Join(t.TempDir(), "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if other.LockSecret("door-1", 0) == m1.LockSecret("door-1", 0) {
		t.Errorf("two fresh key files derive the same lock secret")
	}
}

func TestLoadRefuses(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		mode    fs.FileMode
		want    error
	}{
		{"group readable", bytes.Repeat([]byte{1}, Size), 0o640, ErrKeyFileMode},
		{"world readable", bytes.Repeat([]byte{1}, Size), 0o644, ErrKeyFileMode},
		{"short", bytes.Repeat([]byte{1}, Size-1), 0o600, ErrKeyFileSize},
		{"empty", nil, 0o600, ErrKeyFileSize},
		{"long", bytes.Repeat([]byte{1}, Size+1), 0o600, ErrKeyFileSize},
		{"text", []byte(strings.Repeat("a", 64)), 0o600, ErrKeyFileSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(path, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			for name, load := range map[string]func(string) (*Master, error){"Load": Load, "LoadOrCreate": LoadOrCreate} {
				_, err := load(path)
				if !errors.Is(err, tt.want) {
					t.Errorf("%s = %v, want %v", name, err, tt.want)
				}
				if err != nil && !strings.Contains(err.Error(), path) {
					t.Errorf("%s error %q does not name the file", name, err)
				}
			}
			// The bad file is left alone, never replaced.
			got, _ := os.ReadFile(path)
			if !bytes.Equal(got, tt.content) {
				t.Errorf("key file was modified")
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if _, err := Load(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want not-exist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load created the key file")
	}
	if _, err := New(make([]byte, 16)); !errors.Is(err, ErrKeyFileSize) {
		t.Errorf("New(16 bytes) = %v, want ErrKeyFileSize", err)
	}
}

func TestDerivationsDistinct(t *testing.T) {
	m := testMaster(t, 7)
	m2 := testMaster(t, 8)
	seen := map[string]string{}
	add := func(name string, v []byte) {
		t.Helper()
		if len(v) < 16 {
			t.Fatalf("%s: %d bytes", name, len(v))
		}
		if prev, ok := seen[string(v)]; ok {
			t.Errorf("%s derives the same bytes as %s", name, prev)
		}
		seen[string(v)] = name
	}
	for _, lock := range []string{"door-1", "door-2", "door-10", "1"} {
		for _, gen := range []uint32{0, 1, 10} {
			add(fmt.Sprintf("secret(%s,%d)", lock, gen), []byte(m.LockSecret(lock, gen)))
			add(fmt.Sprintf("cmd(%s,%d)", lock, gen), m.LockCommandKey(lock, gen))
			add(fmt.Sprintf("other master secret(%s,%d)", lock, gen), []byte(m2.LockSecret(lock, gen)))
		}
	}
	for _, u := range []string{"door-1", "exporter", "bridge"} {
		add("user("+u+")", []byte(m.UserSecret(u)))
	}
	for _, l := range []string{"events/period|2026-11", "events/period|2026-12", "lockhub/v1/credential-hmac"} {
		add("derive("+l+")", m.Derive(l, 32))
	}
	d := m.CredentialDigest(policy.CredCard, "04A1")
	add("digest", d[:])
	add("cred key", m.k.credKey)

	// Lock secret and command key are raw HKDF output: the secret's raw bytes
	// must differ from the command key too.
	if bytes.Equal(m.lockSecretRaw("door-1", 0), m.LockCommandKey("door-1", 0)) {
		t.Errorf("lock secret and command key are equal")
	}
}

func TestDerivationsDeterministic(t *testing.T) {
	a, b := testMaster(t, 3), testMaster(t, 3)
	if a.LockSecret("x", 2) != b.LockSecret("x", 2) ||
		!bytes.Equal(a.LockCommandKey("x", 2), b.LockCommandKey("x", 2)) ||
		a.UserSecret("u") != b.UserSecret("u") ||
		!bytes.Equal(a.Derive("l", 64), b.Derive("l", 64)) ||
		a.CredentialDigest(policy.CredPIN, "1234") != b.CredentialDigest(policy.CredPIN, "1234") {
		t.Fatal("same master key derives different values")
	}
	if s := a.LockSecret("x", 2); len(s) != 43 || strings.ContainsAny(s, "+/=") {
		t.Errorf("LockSecret = %q, want 43 base64url characters", s)
	}
	if got := a.Derive("l", 100); len(got) != 100 {
		t.Errorf("Derive(100) gave %d bytes", len(got))
	}
	// A shorter derivation is a prefix of a longer one with the same label
	// (HKDF), but different labels never share a prefix.
	if bytes.Equal(a.Derive("l", 16), a.Derive("m", 16)) {
		t.Errorf("different labels derive the same bytes")
	}
}

func TestDigests(t *testing.T) {
	m := testMaster(t, 1)
	types := []policy.CredentialType{policy.CredCard, policy.CredFob, policy.CredPIN, policy.CredPhone}
	seen := map[policy.Digest]policy.CredentialType{}
	for _, ty := range types {
		d := m.CredentialDigest(ty, "12345678")
		if prev, ok := seen[d]; ok {
			t.Errorf("digest of %v equals digest of %v for the same value", ty, prev)
		}
		seen[d] = ty
	}
	if m.CredentialDigest(policy.CredPIN, "1234") == m.CredentialDigest(policy.CredPIN, "1235") {
		t.Errorf("different PINs give the same digest")
	}

	tests := []struct {
		name string
		t    policy.CredentialType
		raws []string // all canonicalise to the same value
	}{
		{"card", policy.CredCard, []string{"04:a1:b2:c3", "4A1B2C3", "0x04A1B2C3", "04a1b2c3"}},
		{"fob", policy.CredFob, []string{"DE-AD-BE-EF", "deadbeef"}},
		{"pin", policy.CredPIN, []string{"0042"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, err := m.Digest(tt.t, tt.raws[0])
			if err != nil {
				t.Fatal(err)
			}
			if first.Type != tt.t {
				t.Errorf("Digest type = %v, want %v", first.Type, tt.t)
			}
			for _, raw := range tt.raws[1:] {
				c, err := m.Digest(tt.t, raw)
				if err != nil || c != first {
					t.Errorf("Digest(%q) = %v, %v; want the digest of %q", raw, c, err, tt.raws[0])
				}
			}
		})
	}
	secret := "98765x"
	_, err := m.Digest(policy.CredPIN, secret)
	if !errors.Is(err, policy.ErrBadPIN) {
		t.Errorf("Digest(bad pin) = %v, want ErrBadPIN", err)
	}
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("error %q contains the raw value", err)
	}
	if n := testing.AllocsPerRun(100, func() { m.CredentialDigest(policy.CredCard, "04A1B2C3D4E5F6") }); n != 0 && !raceEnabled {
		t.Errorf("CredentialDigest allocates %v times", n)
	}
}

func TestVerifyLockSecret(t *testing.T) {
	m := testMaster(t, 9)
	s := m.LockSecret("door-1", 4)
	tests := []struct {
		lock      string
		gen       uint32
		presented string
		want      bool
	}{
		{"door-1", 4, s, true},
		{"door-1", 5, s, false},
		{"door-2", 4, s, false},
		{"door-1", 4, s[:42], false},
		{"door-1", 4, s + "A", false},
		{"door-1", 4, "", false},
		{"door-1", 4, strings.ToUpper(s), strings.ToUpper(s) == s},
	}
	for _, tt := range tests {
		if got := m.VerifyLockSecret(tt.lock, tt.gen, tt.presented); got != tt.want {
			t.Errorf("VerifyLockSecret(%s, %d, %q) = %v, want %v", tt.lock, tt.gen, tt.presented, got, tt.want)
		}
	}
}

func TestRedacted(t *testing.T) {
	m := testMaster(t, 0xAB)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("key", "master", m)
	outs := []string{
		fmt.Sprint(m), fmt.Sprintf("%v %+v %#v %s %x %q", m, m, m, m, m, m),
		fmt.Sprintf("%v %+v %#v", *m, *m, *m), buf.String(),
	}
	prk := fmt.Sprintf("%x", m.k.prk)
	for _, out := range outs {
		low := strings.ToLower(out)
		if strings.Contains(low, "abab") || strings.Contains(low, prk[:16]) ||
			strings.Contains(out, "171 171") || strings.Contains(out, "prk") {
			t.Errorf("formatted master key shows key material: %q", out)
		}
	}
	if !strings.Contains(buf.String(), "redacted") {
		t.Errorf("slog output %q does not say redacted", buf.String())
	}
}

func TestDerivePanics(t *testing.T) {
	m := testMaster(t, 2)
	for _, n := range []int{0, -1, MaxDerive + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Derive(%d) did not panic", n)
				}
			}()
			m.Derive("x", n)
		}()
	}
}

func BenchmarkVerifyLockSecret(b *testing.B) {
	m := testMaster(b, 5)
	s := m.LockSecret("door-123", 1)
	b.ReportAllocs()
	for b.Loop() {
		if !m.VerifyLockSecret("door-123", 1, s) {
			b.Fatal("verify failed")
		}
	}
}

func BenchmarkCredentialDigest(b *testing.B) {
	m := testMaster(b, 5)
	b.ReportAllocs()
	for b.Loop() {
		m.CredentialDigest(policy.CredCard, "04A1B2C3D4E5F6")
	}
}
