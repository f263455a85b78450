package keys

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/lockhub/lockhub/policy"
)

// Size is the size of the master key in bytes (and of its file).
const Size = 32

// Info labels. Each purpose has its own; variable parts come last or are
// separated by '|', which lock ids cannot contain.
const (
	labelSalt       = "lockhub/v1/master"
	labelCredential = "lockhub/v1/credential-hmac"
	labelLockSecret = "lockhub/v1/lock-secret|"
	labelLockCmd    = "lockhub/v1/lock-cmd|"
	labelUserSecret = "lockhub/v1/user-secret|"
	labelDerive     = "lockhub/v1/derive|"
)

// Errors of loading a master key file.
var (
	ErrKeyFileMode = errors.New("master key file is readable by group or others (want mode 0600)")
	ErrKeyFileSize = errors.New("master key file has the wrong size")
)

// Master is the site master key with the keys derived from it that are used
// on hot paths. It is safe for concurrent use. Its String, GoString and
// LogValue never show key material.
type Master struct {
	// k is behind a pointer so that printing a Master value (not a pointer)
	// shows an address, never key material.
	k *material
}

type material struct {
	prk     []byte // HKDF pseudorandom key extracted from the master key
	credKey []byte // HMAC key of credential digests
	hmacs   sync.Pool
}

// credHasher is a pooled HMAC state with scratch space, so that a digest
// allocates nothing.
type credHasher struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// New returns a Master for the given key bytes (exactly Size of them). Most
// callers use Load or LoadOrCreate; New serves tests and restores.
func New(key []byte) (*Master, error) {
	if len(key) != Size {
		return nil, fmt.Errorf("new master key: %w: %d bytes, want %d", ErrKeyFileSize, len(key), Size)
	}
	prk, err := hkdf.Extract(sha256.New, key, []byte(labelSalt))
	if err != nil {
		return nil, fmt.Errorf("extract master key: %w", err)
	}
	m := &Master{k: &material{prk: prk}}
	credKey := m.expand(labelCredential, sha256.Size)
	m.k.credKey = credKey
	m.k.hmacs.New = func() any {
		return &credHasher{h: hmac.New(sha256.New, credKey), buf: make([]byte, 0, 160)}
	}
	return m, nil
}

// Load reads the master key file at path. It refuses a file that group or
// others may read and a file of the wrong size. It never creates the file:
// CLI tools and hubs sharing a key use it.
func Load(path string) (*Master, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open master key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat master key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("master key %s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("master key %s has mode %04o: %w", path, fi.Mode().Perm(), ErrKeyFileMode)
	}
	if fi.Size() != Size {
		return nil, fmt.Errorf("master key %s is %d bytes, want %d: %w", path, fi.Size(), Size, ErrKeyFileSize)
	}
	key, err := io.ReadAll(io.LimitReader(f, Size+1)) // one spare byte detects a file that grew
	if err != nil {
		return nil, fmt.Errorf("read master key: %w", err)
	}
	defer clear(key)
	if len(key) != Size {
		return nil, fmt.Errorf("master key %s is %d bytes, want %d: %w", path, len(key), Size, ErrKeyFileSize)
	}
	return New(key)
}

// LoadOrCreate loads the master key file at path, creating it with 32 fresh
// random bytes (mode 0600, its directory 0700 if missing) when it does not
// exist. Creation is atomic: a crash leaves either no file or a whole one.
func LoadOrCreate(path string) (*Master, error) {
	m, err := Load(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return m, err
	}
	if err := create(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return Load(path)
}

func create(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create master key directory: %w", err)
	}
	var key [Size]byte
	if _, err := rand.Read(key[:]); err != nil {
		return fmt.Errorf("generate master key: %w", err)
	}
	defer clear(key[:])
	tmp, err := os.CreateTemp(dir, ".master-key-*")
	if err != nil {
		return fmt.Errorf("create master key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("create master key: %w", err)
	}
	if _, err := tmp.Write(key[:]); err != nil {
		tmp.Close()
		return fmt.Errorf("write master key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync master key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close master key: %w", err)
	}
	// Link fails if another process created the file meanwhile: theirs wins.
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("install master key: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// expand derives n bytes for the info label. HKDF-Expand only fails for n
// outside 1..255*32, which callers here never ask for.
func (m *Master) expand(info string, n int) []byte {
	out, err := hkdf.Expand(sha256.New, m.k.prk, info, n)
	if err != nil {
		panic("keys: " + err.Error())
	}
	return out
}

// MaxDerive is the largest n Derive accepts.
const MaxDerive = 255 * sha256.Size

// Derive returns n bytes of key material for a subsystem's own purpose named
// by label (e.g. "events/period-key|2026-11"). Labels live in their own
// namespace, so no label can collide with the hub's built-in derivations. It
// panics if n is not in 1..MaxDerive (a programming error).
func (m *Master) Derive(label string, n int) []byte {
	if n < 1 || n > MaxDerive {
		panic("keys: Derive length " + strconv.Itoa(n) + " out of range")
	}
	return m.expand(labelDerive+label, n)
}

// CredentialDigest returns the keyed digest of a credential's canonical value:
// HMAC-SHA256 under the derived credential key over the type byte followed by
// the value. It allocates nothing in the steady state.
func (m *Master) CredentialDigest(t policy.CredentialType, canonical string) policy.Digest {
	ch := m.k.hmacs.Get().(*credHasher)
	ch.h.Reset()
	ch.buf = append(append(ch.buf[:0], byte(t)), canonical...)
	ch.h.Write(ch.buf)
	var d policy.Digest
	copy(d[:], ch.h.Sum(ch.sum[:0]))
	clear(ch.buf)
	if cap(ch.buf) <= 1024 {
		m.k.hmacs.Put(ch)
	}
	return d
}

// Digest canonicalises a raw credential value (policy.Canonical) and returns
// the credential as the hub keeps it. The error never contains the value.
func (m *Master) Digest(t policy.CredentialType, raw string) (policy.Credential, error) {
	c, err := policy.Canonical(t, raw)
	if err != nil {
		return policy.Credential{}, fmt.Errorf("digest %v credential: %w", t, err)
	}
	return policy.Credential{Type: t, Digest: m.CredentialDigest(t, c)}, nil
}

func lockInfo(label, lock string, gen uint32) string {
	return label + strconv.FormatUint(uint64(gen), 10) + "|" + lock
}

// lockSecretRaw is the 32-byte secret of a lock at a key generation.
func (m *Master) lockSecretRaw(lock string, gen uint32) []byte {
	return m.expand(lockInfo(labelLockSecret, lock, gen), 32)
}

// LockSecret returns the lock's MQTT password at key generation gen: 32
// derived bytes in unpadded base64url (43 characters). It is what
// `lockhub device secret LOCK` prints.
func (m *Master) LockSecret(lock string, gen uint32) string {
	return base64.RawURLEncoding.EncodeToString(m.lockSecretRaw(lock, gen))
}

// VerifyLockSecret reports, in constant time with respect to the secret,
// whether presented is the lock's secret at generation gen.
func (m *Master) VerifyLockSecret(lock string, gen uint32, presented string) bool {
	want := m.LockSecret(lock, gen)
	return subtle.ConstantTimeCompare([]byte(want), []byte(presented)) == 1
}

// LockCommandKey returns the 32-byte key that MACs the lock's commands at key
// generation gen.
func (m *Master) LockCommandKey(lock string, gen uint32) []byte {
	return m.expand(lockInfo(labelLockCmd, lock, gen), 32)
}

// UserSecret returns the MQTT password of an integration user (unpadded
// base64url of 32 derived bytes).
func (m *Master) UserSecret(name string) string {
	return base64.RawURLEncoding.EncodeToString(m.expand(labelUserSecret+name, 32))
}

const redacted = "keys.Master{redacted}"

// String never shows key material.
func (m *Master) String() string { return redacted }

// GoString never shows key material.
func (m *Master) GoString() string { return redacted }

// LogValue never shows key material.
func (m *Master) LogValue() slog.Value { return slog.StringValue(redacted) }
