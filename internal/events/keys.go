package events

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const (
	keySize    = 32
	keySuffix  = ".key"
	dayLayout  = "20060102"
	secondsDay = 24 * 60 * 60
)

// keyID names one period key: a domain and a UTC day.
type keyID struct {
	domain string
	day    uint32 // days since 1970-01-01 UTC
}

// keyring holds the per-domain, per-UTC-day keys of personal fields. Each
// key is a file <dir>/<domain>/<yyyymmdd>.key of 32 random bytes, mode 0600,
// outside Badger, so destroying the file makes every copy of the fields in
// Badger (live, deleted or compacted away later) unreadable. Key bytes are
// never logged.
type keyring struct {
	dir string

	mu    sync.Mutex
	cache map[keyID]cipher.AEAD // nil value: the key does not exist
}

func newKeyring(dir string) (*keyring, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create keys dir: %w", err)
	}
	return &keyring{dir: dir, cache: make(map[keyID]cipher.AEAD)}, nil
}

// dayOf returns the UTC day number of t.
func dayOf(t time.Time) uint32 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	return uint32(s / secondsDay)
}

func dayStart(day uint32) time.Time { return time.Unix(int64(day)*secondsDay, 0).UTC() }

// domainDir maps a domain id to a safe directory name: ids of 1 to 64
// characters from [A-Za-z0-9._-] (not "." or "..") are used as they are;
// any other id becomes '~' and the hex SHA-256 of the id ('~' is in no plain
// id).
func domainDir(domain string) string {
	safe := domain != "" && domain != "." && domain != ".." && len(domain) <= 64
	for i := 0; safe && i < len(domain); i++ {
		c := domain[i]
		safe = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '-'
	}
	if safe {
		return domain
	}
	h := sha256.Sum256([]byte(domain))
	return "~" + hex.EncodeToString(h[:])
}

func (k *keyring) path(id keyID) string {
	return filepath.Join(k.dir, domainDir(id.domain), dayStart(id.day).Format(dayLayout)+keySuffix)
}

// aead returns the key of id; with create it makes the key file when it is
// missing, otherwise it returns nil for a missing (destroyed) key.
func (k *keyring) aead(id keyID, create bool) (cipher.AEAD, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if a, ok := k.cache[id]; ok && (a != nil || !create) {
		return a, nil
	}
	p := k.path(id)
	raw, err := os.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist) && create:
		raw, err = createKeyFile(p)
		if err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist):
		k.cache[id] = nil
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read key file: %w", err)
	}
	if len(raw) != keySize {
		return nil, fmt.Errorf("key file %s: %d bytes, want %d", filepath.Base(p), len(raw), keySize)
	}
	b, err := aes.NewCipher(raw)
	clear(raw)
	if err != nil {
		return nil, fmt.Errorf("key cipher: %w", err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("key gcm: %w", err)
	}
	k.cache[id] = a
	return a, nil
}

// createKeyFile writes a new random key durably (file and directory
// fsynced) without ever replacing an existing file, and returns it.
func createKeyFile(p string) ([]byte, error) {
	dir := filepath.Dir(p)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create key dir: %w", err)
		}
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return nil, err
		}
	}
	raw := make([]byte, keySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".new-*")
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("chmod key file: %w", err)
	}
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("sync key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("close key file: %w", err)
	}
	// Link, unlike rename, never replaces an existing key.
	if err := os.Link(tmp.Name(), p); err != nil {
		return nil, fmt.Errorf("install key file: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return raw, nil
}

// destroyBefore deletes the key files of domain whose whole UTC day lies
// before cutoff and returns how many it deleted. The bytes are overwritten
// before the unlink (best effort: no file system promises erasure).
func (k *keyring) destroyBefore(domain string, cutoff time.Time) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	dir := filepath.Join(k.dir, domainDir(domain))
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list keys: %w", err)
	}
	n := 0
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".new-") {
			os.Remove(filepath.Join(dir, name)) // an interrupted creation
			continue
		}
		ds, ok := strings.CutSuffix(name, keySuffix)
		if !ok {
			continue
		}
		t, err := time.Parse(dayLayout, ds)
		if err != nil {
			continue
		}
		day := dayOf(t)
		if dayStart(day).Add(24 * time.Hour).After(cutoff) {
			continue
		}
		p := filepath.Join(dir, name)
		if err := overwrite(p); err != nil {
			return n, err
		}
		if err := os.Remove(p); err != nil {
			return n, fmt.Errorf("delete key file: %w", err)
		}
		k.cache[keyID{domain, day}] = nil
		n++
	}
	if n > 0 {
		if err := syncDir(dir); err != nil {
			return n, err
		}
	}
	return n, nil
}

func overwrite(p string) error {
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open key file: %w", err)
	}
	_, werr := f.Write(make([]byte, keySize))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("overwrite key file: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir for sync: %w", err)
	}
	serr := d.Sync()
	cerr := d.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}

// additionalData binds a sealed section to its record: hub seq, key day and
// domain.
func additionalData(dst []byte, seq uint64, id keyID) []byte {
	dst = binary.BigEndian.AppendUint64(dst, seq)
	dst = binary.BigEndian.AppendUint32(dst, id.day)
	return append(dst, id.domain...)
}

// Personal plaintext: version byte, then three length-prefixed strings.
const personalVersion = 1

func personalSize(p Personal) int {
	return 1 + 3*binary.MaxVarintLen16 + len(p.Name) + len(p.Email) + len(p.CredentialRef)
}

func appendPersonal(dst []byte, p Personal) []byte {
	dst = append(dst, personalVersion)
	dst = appendString(dst, p.Name)
	dst = appendString(dst, p.Email)
	return appendString(dst, p.CredentialRef)
}

func decodePersonal(b []byte) (Personal, error) {
	d := decoder{b: b}
	if v := d.byte(); d.err == nil && v != personalVersion {
		return Personal{}, fmt.Errorf("%w: unknown personal version %d", ErrCorrupt, v)
	}
	p := Personal{Name: d.string(), Email: d.string(), CredentialRef: d.string()}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes in personal section")
	}
	if d.err != nil {
		return Personal{}, d.err
	}
	return p, nil
}
