package wire

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Defaults of VerifierConfig.
const (
	DefaultSkew           = 60 * time.Second
	DefaultMaxLifetime    = 5 * time.Minute
	DefaultMaxNonces      = 256
	DefaultTimeRequestTTL = 30 * time.Second
)

// Verification errors, distinct so that a lock can log and count them.
var (
	ErrBadCommand  = errors.New("malformed command")
	ErrWrongLock   = errors.New("command is for another lock")
	ErrBadMAC      = errors.New("command mac does not verify")
	ErrBadLifetime = errors.New("command validity longer than allowed")
	ErrNotYetValid = errors.New("command not yet valid")
	ErrExpired     = errors.New("command expired")
	ErrReplay      = errors.New("command replayed")
)

// VerifierConfig tunes a Verifier. Zero fields take the defaults.
type VerifierConfig struct {
	// Skew is how far the lock's clock may be from the hub's: a command is
	// valid from iat-Skew to exp+Skew on the lock's clock. Zero means
	// DefaultSkew.
	Skew time.Duration
	// MaxLifetime refuses commands whose exp-iat is longer. Zero means
	// DefaultMaxLifetime.
	MaxLifetime time.Duration
	// MaxNonces bounds the nonces remembered against replay. Zero means
	// DefaultMaxNonces.
	MaxNonces int
	// TimeRequestTTL is how long, on the lock's clock, the nonce of a time
	// request is honoured. Zero means DefaultTimeRequestTTL.
	TimeRequestTTL time.Duration
}

// Verifier is the lock side of command signing: it checks the MAC, the lock
// binding, the validity window and replays. It is safe for concurrent use.
type Verifier struct {
	lock string
	key  []byte
	cfg  VerifierConfig

	mu     sync.Mutex
	nonces map[[NonceLen / 2]byte]int64 // nonce -> exp of its command (unix ms)
	// floor: any command with exp at or below it is refused as a possible
	// replay (set when a live nonce had to be evicted).
	floor int64
	// issuedFloor: commands issued before it are refused (SetIssuedFloor).
	issuedFloor int64
	pending     [NonceLen / 2]byte // nonce of the outstanding time request
	pendingAt   int64              // lock clock when it was sent; 0: none
}

// NewVerifier returns a verifier for the lock with the given command key.
func NewVerifier(lock string, key []byte, cfg VerifierConfig) (*Verifier, error) {
	if !ValidLockID(lock) {
		return nil, fmt.Errorf("new verifier: invalid lock id")
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("new verifier: %w", ErrEmptyKey)
	}
	if cfg.Skew <= 0 {
		cfg.Skew = DefaultSkew
	}
	if cfg.MaxLifetime <= 0 {
		cfg.MaxLifetime = DefaultMaxLifetime
	}
	if cfg.MaxNonces <= 0 {
		cfg.MaxNonces = DefaultMaxNonces
	}
	if cfg.TimeRequestTTL <= 0 {
		cfg.TimeRequestTTL = DefaultTimeRequestTTL
	}
	return &Verifier{
		lock:   lock,
		key:    append([]byte(nil), key...),
		cfg:    cfg,
		nonces: make(map[[NonceLen / 2]byte]int64, cfg.MaxNonces),
	}, nil
}

// NewNonce returns 16 random bytes in lower-case hex, for a time request or
// a command.
func NewNonce() string {
	var b [NonceLen / 2]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}

func nonceKey(s string) (k [NonceLen / 2]byte, ok bool) {
	if !validNonce(s) {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(s))
	return k, err == nil
}

// ExpectTime records the nonce of the time request the lock is sending at
// now (its own clock, however wrong). Until TimeRequestTTL has passed on
// that clock, a time command carrying this nonce is accepted without
// checking iat and exp against the clock; it is accepted once. A new call
// replaces the previous nonce.
func (v *Verifier) ExpectTime(now time.Time, nonce string) error {
	k, ok := nonceKey(nonce)
	if !ok {
		return fmt.Errorf("expect time: %w: nonce must be 32 lower-case hex digits", ErrBadCommand)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.pending, v.pendingAt = k, max(now.UnixMilli(), 1)
	return nil
}

// Verify checks a decoded command against the lock's clock now. In order:
// the command is well formed (ErrBadCommand), addressed to this lock
// (ErrWrongLock), its MAC verifies (ErrBadMAC), its lifetime is at most
// MaxLifetime (ErrBadLifetime); then, unless it is the time command answering
// the outstanding time request, now is inside [iat-Skew, exp+Skew]
// (ErrNotYetValid, ErrExpired); finally its nonce was not seen before
// (ErrReplay). A nil result means: execute it. Accepted nonces are
// remembered until exp+Skew has passed and room is needed.
func (v *Verifier) Verify(now time.Time, c *Command) error {
	if err := checkCommand(c); err != nil {
		return fmt.Errorf("%w: %w", ErrBadCommand, err)
	}
	if c.Lock != v.lock {
		return ErrWrongLock
	}
	want := commandMAC(v.key, v.lock, c)
	if !hmac.Equal(want[:], c.MAC[:]) {
		return ErrBadMAC
	}
	if c.Expires-c.IssuedAt > v.cfg.MaxLifetime.Milliseconds() { // in ms: no overflow
		return ErrBadLifetime
	}
	k, _ := nonceKey(c.Nonce)
	nowMS := now.UnixMilli()
	skew := v.cfg.Skew.Milliseconds()

	v.mu.Lock()
	defer v.mu.Unlock()
	answer := c.Cmd == CmdTime && v.pendingAt != 0 && k == v.pending &&
		nowMS >= v.pendingAt && nowMS-v.pendingAt <= v.cfg.TimeRequestTTL.Milliseconds()
	if !answer {
		switch {
		case nowMS < c.IssuedAt-skew:
			return ErrNotYetValid
		case nowMS > c.Expires+skew:
			return ErrExpired
		}
	}
	if !answer && c.IssuedAt < v.issuedFloor {
		return ErrReplay
	}
	if _, seen := v.nonces[k]; seen || c.Expires <= v.floor {
		return ErrReplay
	}
	if answer {
		v.pending, v.pendingAt = [NonceLen / 2]byte{}, 0
	}
	v.remember(k, c.Expires, nowMS-skew)
	return nil
}

// SetIssuedFloor makes the verifier refuse, as possible replays, commands
// issued before t. A lock's nonce memory is lost when it reboots; it calls
// this at boot with its clock at boot when that clock is trusted (an RTC),
// or, after the time answer that set its clock, with the new clock minus its
// uptime. The time answer itself is exempt (its nonce is fresh). A floor
// never moves backwards.
func (v *Verifier) SetIssuedFloor(t time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.issuedFloor = max(v.issuedFloor, t.UnixMilli())
}

// remember stores the nonce of a command that expires at exp. When the
// table is full it first drops the nonces of commands that expired before
// horizon (now-skew: the clock check refuses them anyway), then the entry
// that expires soonest, raising the floor to its expiry so that its command
// stays refused.
func (v *Verifier) remember(k [NonceLen / 2]byte, exp, horizon int64) {
	if len(v.nonces) >= v.cfg.MaxNonces {
		for n, e := range v.nonces {
			if e < horizon {
				delete(v.nonces, n)
			}
		}
	}
	for len(v.nonces) >= v.cfg.MaxNonces {
		var oldest [NonceLen / 2]byte
		var of int64 = 1<<63 - 1
		for n, f := range v.nonces {
			if f < of {
				oldest, of = n, f
			}
		}
		delete(v.nonces, oldest)
		v.floor = max(v.floor, of)
	}
	v.nonces[k] = exp
}
