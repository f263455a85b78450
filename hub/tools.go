package hub

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/lockhub/lockhub/internal/keys"
	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/policy"
)

// Tools for the CLI that work without a running hub.

// LockSecret returns the MQTT password of a configured lock, derived from
// the site master key (which must exist: the hub makes it on first start)
// and the lock's key generation.
func LockSecret(cfg *Config, lock string) (string, error) {
	secret, _, err := LockIdentity(cfg, lock)
	return secret, err
}

// LockIdentity returns a configured lock's MQTT secret and command key, for
// simulated locks and tools.
func LockIdentity(cfg *Config, lock string) (secret string, commandKey []byte, err error) {
	m, err := keys.Load(cfg.MasterKeyPath())
	if err != nil {
		return "", nil, fmt.Errorf("read master key (the hub makes it on first start): %w", err)
	}
	for _, l := range cfg.Locks {
		if l.ID == lock {
			gen := l.KeyGeneration
			if gen == 0 {
				gen = DefaultKeyGeneration
			}
			return m.LockSecret(l.ID, gen), m.LockCommandKey(l.ID, gen), nil
		}
	}
	return "", nil, fmt.Errorf("lock %q is not configured", lock)
}

// UserSecret returns the MQTT password of an integration user.
func UserSecret(cfg *Config, user string) (string, error) {
	m, err := keys.Load(cfg.MasterKeyPath())
	if err != nil {
		return "", fmt.Errorf("read master key (the hub makes it on first start): %w", err)
	}
	for _, u := range cfg.MQTT.Users {
		if u.Name == user {
			return m.UserSecret(u.Name), nil
		}
	}
	return "", fmt.Errorf("user %q is not under mqtt.users", user)
}

// ExplainQuery asks whether a member, or a credential, may open a lock.
type ExplainQuery struct {
	Lock   string
	Member string                // or:
	Type   policy.CredentialType // with Value: a raw credential
	Value  string
	At     time.Time
}

// ExplainStopped answers q from the store of a stopped hub (Badger locks its
// directory: while the hub runs, ask its API instead).
func ExplainStopped(cfg *Config, q ExplainQuery) (policy.Explanation, error) {
	req := policy.Request{Lock: q.Lock, Member: q.Member}
	if q.Member == "" {
		m, err := keys.Load(cfg.MasterKeyPath())
		if err != nil {
			return policy.Explanation{}, fmt.Errorf("read master key: %w", err)
		}
		if req.Credential, err = m.Digest(q.Type, q.Value); err != nil {
			return policy.Explanation{}, err
		}
	}
	s, err := store.Open(store.Config{
		Dir:            filepath.Join(cfg.Site.DataDir, storeDirName),
		ClockTolerance: cfg.Site.ClockTolerance.Std(),
	})
	if err != nil {
		return policy.Explanation{}, fmt.Errorf("open store (is the hub running? then use its API): %w", err)
	}
	defer s.Close()
	return s.Explain(q.At, req), nil
}
