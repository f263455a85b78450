package hub

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

var testRelayKey = bytes.Repeat([]byte{7}, 32)

func signedRelay(t testing.TB, topic string, m relayMsg) []byte {
	t.Helper()
	p, err := encodeRelay(testRelayKey, topic, &m)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func relayBase(kind string) relayMsg {
	on := true
	m := relayMsg{V: relayVersion, Origin: "hub-a", At: 1_800_000_000_000, Nonce: strings.Repeat("ab", 16), Kind: kind}
	switch kind {
	case relayLockState:
		m.Lock, m.Lockdown = "door-1", &on
	case relayRevoke, relayUnrevoke:
		m.Revocation = &relayRevocation{Member: "alice"}
	case relayWebhookK:
		m.Webhook = []byte(`{"x":1}`)
	}
	return m
}

// TestDecodeRelay: signed, well-formed messages decode; a wrong key or
// topic, garbage, oversize and missing or contradictory fields are refused.
func TestDecodeRelay(t *testing.T) {
	sign := func(topic string, f func(*relayMsg), kind string) []byte {
		m := relayBase(kind)
		if f != nil {
			f(&m)
		}
		return signedRelay(t, topic, m)
	}
	cases := []struct {
		name    string
		topic   string
		payload []byte
		want    error // nil: accepted
	}{
		{"lock state", relayAdminTopic, sign(relayAdminTopic, nil, relayLockState), nil},
		{"revoke member", relayAdminTopic, sign(relayAdminTopic, nil, relayRevoke), nil},
		{"revoke credential", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) {
			m.Revocation = &relayRevocation{Domain: "hq", Type: "card", Digest: strings.Repeat("0f", 32)}
		}, relayRevoke), nil},
		{"webhook", relayWebhook, sign(relayWebhook, nil, relayWebhookK), nil},
		{"empty", relayAdminTopic, nil, errRelayShort},
		{"mac only", relayAdminTopic, bytes.Repeat([]byte{1}, 32), errRelayShort},
		{"oversize", relayAdminTopic, make([]byte, maxRelayMessage+1), errRelayLarge},
		{"garbage", relayAdminTopic, bytes.Repeat([]byte("garbage!"), 10), errRelayMAC},
		{"signed for another topic", relayWebhook, sign(relayAdminTopic, nil, relayLockState), errRelayMAC},
		{"kind on the wrong topic", relayWebhook, sign(relayWebhook, nil, relayLockState), errRelayMalformed},
		{"wrong key", relayAdminTopic, func() []byte {
			m := relayBase(relayLockState)
			p, _ := encodeRelay(bytes.Repeat([]byte{8}, 32), relayAdminTopic, &m)
			return p
		}(), errRelayMAC},
		{"signed garbage", relayAdminTopic, append(relayMAC(testRelayKey, relayAdminTopic, []byte("{]")), "{]"...), errRelayMalformed},
		{"unknown field", relayAdminTopic, append(relayMAC(testRelayKey, relayAdminTopic, []byte(`{"v":1,"zz":1}`)), `{"v":1,"zz":1}`...), errRelayMalformed},
		{"trailing data", relayAdminTopic, func() []byte {
			m := relayBase(relayLockState)
			p := signedRelay(t, relayAdminTopic, m)
			body := append(append([]byte{}, p[32:]...), " {}"...)
			return append(relayMAC(testRelayKey, relayAdminTopic, body), body...)
		}(), errRelayMalformed},
		{"version 2", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) { m.V = 2 }, relayLockState), errRelayMalformed},
		{"no origin", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) { m.Origin = "" }, relayLockState), errRelayMalformed},
		{"no time", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) { m.At = 0 }, relayLockState), errRelayMalformed},
		{"short nonce", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) { m.Nonce = "ab" }, relayLockState), errRelayMalformed},
		{"nonce not hex", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) { m.Nonce = strings.Repeat("zz", 16) }, relayLockState), errRelayMalformed},
		{"unknown kind", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) { m.Kind = "reboot" }, relayLockState), errRelayMalformed},
		{"bad lock id", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) { m.Lock = "a/b" }, relayLockState), errRelayMalformed},
		{"no state field", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) { m.Lockdown = nil }, relayLockState), errRelayMalformed},
		{"negative keypad", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) { n := int64(-1); m.KeypadUntil = &n }, relayLockState), errRelayMalformed},
		{"revocation missing", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) { m.Revocation = nil }, relayRevoke), errRelayMalformed},
		{"member and credential", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) {
			m.Revocation = &relayRevocation{Member: "alice", Domain: "hq"}
		}, relayRevoke), errRelayMalformed},
		{"short digest", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) {
			m.Revocation = &relayRevocation{Domain: "hq", Type: "card", Digest: "0f"}
		}, relayRevoke), errRelayMalformed},
		{"bad credential type", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) {
			m.Revocation = &relayRevocation{Domain: "hq", Type: "retina", Digest: strings.Repeat("0f", 32)}
		}, relayRevoke), errRelayMalformed},
		{"long note", relayAdminTopic, sign(relayAdminTopic, func(m *relayMsg) {
			m.Revocation = &relayRevocation{Member: "alice", Note: strings.Repeat("n", 1025)}
		}, relayRevoke), errRelayMalformed},
		{"empty webhook", relayWebhook, sign(relayWebhook, func(m *relayMsg) { m.Webhook = nil }, relayWebhookK), errRelayMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := decodeRelay(testRelayKey, c.topic, c.payload)
			if c.want == nil {
				if err != nil || m == nil {
					t.Fatalf("decodeRelay = %v, want accepted", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("decodeRelay err = %v, want %v", err, c.want)
			}
		})
	}
}

// TestRelayFreshRefusesReplays: a nonce is accepted once.
func TestRelayFreshRefusesReplays(t *testing.T) {
	r := &relay{seen: map[string]time.Time{}}
	now := time.Unix(1_800_000_000, 0)
	if !r.fresh("n1", now) || r.fresh("n1", now.Add(time.Second)) {
		t.Fatal("a nonce was not accepted exactly once")
	}
	if !r.fresh("n2", now.Add(3*relayMaxAge)) || len(r.seen) != 1 {
		t.Fatalf("expired nonces not pruned: %d kept", len(r.seen))
	}
}

// FuzzDecodeRelay: no input makes the decoder panic, and whatever it
// accepts re-validates.
func FuzzDecodeRelay(f *testing.F) {
	for _, k := range []string{relayLockState, relayRevoke, relayWebhookK} {
		topic := relayAdminTopic
		if k == relayWebhookK {
			topic = relayWebhook
		}
		f.Add(topic, signedRelay(f, topic, relayBase(k)))
	}
	f.Fuzz(func(t *testing.T, topic string, p []byte) {
		// Sign the fuzzed body so the decoder gets past the MAC.
		if len(p) > sha256Size {
			p = append(relayMAC(testRelayKey, topic, p[sha256Size:]), p[sha256Size:]...)
		}
		m, err := decodeRelay(testRelayKey, topic, p)
		if err == nil {
			if verr := m.validate(topic); verr != nil {
				t.Fatalf("accepted message does not validate: %v", verr)
			}
		}
	})
}

const sha256Size = 32
