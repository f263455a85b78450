package hub

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lockhub/lockhub/devices"
	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/sync/nexudus"
)

// Hub-to-hub topics (external mode). Only hubs may publish or read them:
// each message is signed with a key derived from the site master key, and
// the broker's ACL should also keep them to the hub user.
const (
	relayTopicPrefix = "lockhub/v1/hubs/"
	relayFilter      = relayTopicPrefix + "+"
	relayAdminTopic  = relayTopicPrefix + "admin"   // lock states, revocations
	relayWebhook     = relayTopicPrefix + "webhook" // Nexudus webhooks one hub received
)

// Relay message kinds.
const (
	relayLockState = "lock_state"
	relayRevoke    = "revoke"
	relayUnrevoke  = "unrevoke"
	relayWebhookK  = "webhook"
)

// relayVersion is the only message version understood.
const relayVersion = 1

// relayMaxAge bounds how old (or how far in the future, by the receiver's
// clock) a message may be: hubs of a site keep their clocks in sync (NTP).
const relayMaxAge = 5 * time.Minute

// maxRelayMessage bounds a relay payload: a whole webhook body, base64, plus
// the envelope.
const maxRelayMessage = nexudus.DefaultWebhookLimit*4/3 + 8<<10

// relayMsg is one hub-to-hub message. On the wire: 32 bytes of
// HMAC-SHA256(relay key, topic || 0x00 || JSON) followed by the JSON.
type relayMsg struct {
	V      int    `json:"v"`
	Origin string `json:"origin"` // the sender's site.id
	At     int64  `json:"at"`     // unix ms, the sender's clock
	Nonce  string `json:"nonce"`  // 16 random bytes, hex
	Kind   string `json:"kind"`

	Lock string `json:"lock,omitempty"`
	// Lock state fields that changed (absent: unchanged).
	Lockdown *bool `json:"lockdown,omitempty"`
	Released *bool `json:"released,omitempty"`
	// KeypadUntil is the new keypad lockout end, unix ms; 0 clears it.
	KeypadUntil *int64 `json:"keypad_until,omitempty"`

	Revocation *relayRevocation `json:"revocation,omitempty"`
	Webhook    []byte           `json:"webhook,omitempty"` // the body as received
}

// relayRevocation is a store.Revocation: a member, or a credential by its
// keyed digest (never its value).
type relayRevocation struct {
	Member string `json:"member,omitempty"`
	Domain string `json:"domain,omitempty"`
	Type   string `json:"type,omitempty"`
	Digest string `json:"digest,omitempty"` // hex
	At     int64  `json:"at,omitempty"`
	Actor  string `json:"actor,omitempty"`
	Note   string `json:"note,omitempty"`
}

func relayMAC(key []byte, topic string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(topic))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)
}

// encodeRelay signs m for topic.
func encodeRelay(key []byte, topic string, m *relayMsg) ([]byte, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode relay message: %w", err)
	}
	return append(relayMAC(key, topic, body), body...), nil
}

var (
	errRelayShort     = errors.New("relay message: too short")
	errRelayLarge     = errors.New("relay message: too large")
	errRelayMAC       = errors.New("relay message: bad signature")
	errRelayMalformed = errors.New("relay message: malformed")
)

// decodeRelay checks the signature, decodes and validates a relay message
// (not its age: the caller knows the time).
func decodeRelay(key []byte, topic string, p []byte) (*relayMsg, error) {
	switch {
	case len(p) > maxRelayMessage:
		return nil, errRelayLarge
	case len(p) <= sha256.Size:
		return nil, errRelayShort
	}
	mac, body := p[:sha256.Size], p[sha256.Size:]
	if !hmac.Equal(mac, relayMAC(key, topic, body)) {
		return nil, errRelayMAC
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var m relayMsg
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", errRelayMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", errRelayMalformed)
	}
	if err := m.validate(topic); err != nil {
		return nil, fmt.Errorf("%w: %v", errRelayMalformed, err)
	}
	return &m, nil
}

func (m *relayMsg) validate(topic string) error {
	switch {
	case m.V != relayVersion:
		return fmt.Errorf("version %d", m.V)
	case !validID(m.Origin):
		return errors.New("origin: not an id")
	case m.At <= 0:
		return errors.New("at: missing")
	case len(m.Nonce) != 32:
		return errors.New("nonce: want 32 hex digits")
	}
	if _, err := hex.DecodeString(m.Nonce); err != nil {
		return errors.New("nonce: not hex")
	}
	wantTopic := relayAdminTopic
	switch m.Kind {
	case relayLockState:
		if !devices.ValidLockID(m.Lock) {
			return errors.New("lock: not a lock id")
		}
		if m.Lockdown == nil && m.Released == nil && m.KeypadUntil == nil {
			return errors.New("lock_state: no field changed")
		}
		if m.KeypadUntil != nil && *m.KeypadUntil < 0 {
			return errors.New("keypad_until: negative")
		}
	case relayRevoke, relayUnrevoke:
		if m.Revocation == nil {
			return errors.New("revocation: missing")
		}
		if _, err := m.Revocation.key(); err != nil {
			return err
		}
	case relayWebhookK:
		wantTopic = relayWebhook
		if len(m.Webhook) == 0 {
			return errors.New("webhook: empty")
		}
	default:
		return errors.New("kind: unknown")
	}
	if topic != wantTopic {
		return fmt.Errorf("kind %s on the wrong topic", m.Kind)
	}
	return nil
}

// key parses the revocation's key fields.
func (r *relayRevocation) key() (k struct {
	member, domain string
	cred           policy.Credential
}, err error) {
	if len(r.Note) > 1024 || len(r.Actor) > 256 {
		return k, errors.New("revocation: note or actor too long")
	}
	if r.Member != "" {
		if r.Domain != "" || r.Type != "" || r.Digest != "" {
			return k, errors.New("revocation: a member or a credential, not both")
		}
		if !validID(r.Member) {
			return k, errors.New("revocation: member not an id")
		}
		k.member = r.Member
		return k, nil
	}
	if !validID(r.Domain) {
		return k, errors.New("revocation: domain not an id")
	}
	t, err := policy.ParseCredentialType(r.Type)
	if err != nil {
		return k, errors.New("revocation: unknown credential type")
	}
	d, err := hex.DecodeString(r.Digest)
	if err != nil || len(d) != len(k.cred.Digest) {
		return k, errors.New("revocation: digest not 64 hex digits")
	}
	k.domain, k.cred.Type = r.Domain, t
	copy(k.cred.Digest[:], d)
	return k, nil
}

func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
