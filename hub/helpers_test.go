package hub_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/policy"
)

// stubDigest is an HMAC over the credential type and canonical value, as the
// hub's key package does with the master key.
func stubDigest(t policy.CredentialType, canonical string) (policy.Credential, error) {
	if canonical == "" {
		return policy.Credential{}, errors.New("empty canonical value")
	}
	m := hmac.New(sha256.New, []byte("test-master-key"))
	m.Write([]byte{byte(t)})
	m.Write([]byte(canonical))
	var c policy.Credential
	c.Type = t
	copy(c.Digest[:], m.Sum(nil))
	return c, nil
}

func mustLoad(tb testing.TB, yaml string) *hub.Config {
	tb.Helper()
	c, err := hub.LoadConfig(strings.NewReader(yaml))
	if err != nil {
		tb.Fatalf("LoadConfig: %v", err)
	}
	return c
}

// minimal is a small valid config other tests extend.
const minimal = `
site:
  id: test-hub
domains:
  - id: hq
    zone: Europe/Stockholm
locks:
  - id: door
    domain: hq
`
