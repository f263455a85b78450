package hub

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lockhub/lockhub/devices"
	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/sync/nexudus"
)

// publisher is the relay's way out (the external broker client).
type publisher interface {
	Publish(topic string, payload []byte) error
}

// relay passes admin state changes and Nexudus webhooks between the hubs of
// a site (external mode). Each hub applies what the others send to its own
// store; a hub ignores its own messages echoed back by the broker.
type relay struct {
	h      *Hub
	origin string
	key    []byte
	pub    publisher

	applyMu sync.Mutex // serialises received lock-state read-modify-writes
	seenMu  sync.Mutex
	seen    map[string]time.Time // nonce -> when it may be forgotten
}

func newRelay(h *Hub, origin string) *relay {
	return &relay{h: h, origin: origin, key: h.keys.Derive("hub/relay-mac", 32), seen: map[string]time.Time{}}
}

// send signs and publishes m; a failure is logged (the change is stored on
// this hub; the others catch up on the next change or sync).
func (r *relay) send(topic string, m *relayMsg) {
	if r == nil || r.pub == nil {
		return
	}
	m.V, m.Origin, m.At, m.Nonce = relayVersion, r.origin, r.h.now().UnixMilli(), newNonce()
	p, err := encodeRelay(r.key, topic, m)
	if err == nil {
		err = r.pub.Publish(topic, p)
	}
	if err != nil {
		r.h.log.Error("change not relayed to the other hubs", "kind", m.Kind, "lock", m.Lock, "error", err)
	}
}

// handle receives one relay message (on the external client's goroutine
// for extra subscriptions).
func (r *relay) handle(topic string, payload []byte) {
	m, err := decodeRelay(r.key, topic, payload)
	if err != nil {
		r.h.log.Warn("relay message refused", "topic", topic, "error", err)
		return
	}
	if m.Origin == r.origin {
		return // our own, echoed back
	}
	now := r.h.now()
	if age := now.Sub(time.UnixMilli(m.At)); age > relayMaxAge || age < -relayMaxAge {
		r.h.log.Warn("relay message refused: too old or from the future (check the hubs' clocks)", "origin", m.Origin, "kind", m.Kind, "age", age)
		return
	}
	if !r.fresh(m.Nonce, now) {
		r.h.log.Warn("relay message refused: replayed", "origin", m.Origin, "kind", m.Kind)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	switch m.Kind {
	case relayLockState:
		err = r.applyLockState(ctx, m)
	case relayRevoke, relayUnrevoke:
		err = r.applyRevocation(ctx, m)
	case relayWebhookK:
		err = r.applyWebhook(ctx, m)
	}
	if err != nil {
		r.h.log.Error("relayed change not applied", "origin", m.Origin, "kind", m.Kind, "lock", m.Lock, "error", err)
		return
	}
	r.h.log.Info("relayed change applied", "origin", m.Origin, "kind", m.Kind, "lock", m.Lock)
}

// fresh records nonce and reports whether it was new.
func (r *relay) fresh(nonce string, now time.Time) bool {
	r.seenMu.Lock()
	defer r.seenMu.Unlock()
	if _, ok := r.seen[nonce]; ok {
		return false
	}
	for n, until := range r.seen {
		if now.After(until) {
			delete(r.seen, n)
		}
	}
	r.seen[nonce] = now.Add(2 * relayMaxAge)
	return true
}

func (r *relay) applyLockState(ctx context.Context, m *relayMsg) error {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	st := r.h.store.LockState(m.Lock)
	if m.Lockdown != nil {
		st.Lockdown = *m.Lockdown
	}
	if m.Released != nil {
		st.Released = *m.Released
	}
	if m.KeypadUntil != nil {
		st.KeypadLockedUntil = time.Time{}
		if *m.KeypadUntil > 0 {
			st.KeypadLockedUntil = time.UnixMilli(*m.KeypadUntil)
		}
	}
	return lockStates{r.h.store}.SetLockState(ctx, m.Lock, st)
}

func (r *relay) applyRevocation(ctx context.Context, m *relayMsg) error {
	k, err := m.Revocation.key()
	if err != nil {
		return err
	}
	key := store.RevocationKey{Member: k.member, Domain: k.domain, Credential: k.cred}
	b := store.NewBatch()
	if m.Kind == relayUnrevoke {
		b.DeleteRevocation(key)
	} else {
		b.PutRevocation(store.Revocation{Member: k.member, Domain: k.domain, Credential: k.cred,
			At: time.UnixMilli(m.Revocation.At), Actor: m.Revocation.Actor, Note: m.Revocation.Note})
	}
	return r.h.store.Apply(ctx, b)
}

func (r *relay) applyWebhook(ctx context.Context, m *relayMsg) error {
	if r.h.nexudus == nil {
		return errors.New("webhook relayed to a hub without Nexudus sync")
	}
	wh, err := nexudus.DecodeWebhook(bytes.NewReader(m.Webhook), nexudus.DefaultWebhookLimit)
	if err != nil {
		return errors.New("relayed webhook does not decode") // never its body: personal data
	}
	return r.h.nexudus.ApplyWebhook(ctx, wh)
}

// relayRevocation passes a local revocation (or its lifting) to the other
// hubs. A no-op in embedded mode.
func (h *Hub) relayRevocation(rev store.Revocation, lifted bool) {
	if h.relay == nil {
		return
	}
	rr := &relayRevocation{Member: rev.Member, Domain: rev.Domain, At: rev.At.UnixMilli(), Actor: rev.Actor, Note: rev.Note}
	if rev.Member == "" {
		rr.Type, rr.Digest = rev.Credential.Type.String(), hex.EncodeToString(rev.Credential.Digest[:])
	}
	kind := relayRevoke
	if lifted {
		kind = relayUnrevoke
	}
	h.relay.send(relayAdminTopic, &relayMsg{Kind: kind, Revocation: rr})
}

// relayLockStates stores a lock state change and passes the fields that
// changed to the other hubs (lockdown, release, keypad lockout: admin
// actions and automatic lockouts alike).
type relayLockStates struct {
	lockStates
	r *relay
}

func (l relayLockStates) SetLockState(ctx context.Context, lock string, st policy.LockState) error {
	old := l.s.LockState(lock)
	if err := l.lockStates.SetLockState(ctx, lock, st); err != nil {
		return err
	}
	m := relayMsg{Kind: relayLockState, Lock: lock}
	if old.Lockdown != st.Lockdown {
		m.Lockdown = &st.Lockdown
	}
	if old.Released != st.Released {
		m.Released = &st.Released
	}
	if !old.KeypadLockedUntil.Equal(st.KeypadLockedUntil) {
		var ms int64
		if !st.KeypadLockedUntil.IsZero() {
			ms = st.KeypadLockedUntil.UnixMilli()
		}
		m.KeypadUntil = &ms
	}
	if m.Lockdown != nil || m.Released != nil || m.KeypadUntil != nil {
		l.r.send(relayAdminTopic, &m)
	}
	return nil
}

var _ devices.LockStates = relayLockStates{}

// relayWebhooks wraps the Nexudus handler: a webhook this hub accepted
// (204) is passed to the other hubs. Unchanged in embedded mode.
func (h *Hub) relayWebhooks(next http.Handler) http.Handler {
	if h.relay == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/webhook") {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, nexudus.DefaultWebhookLimit+1))
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == http.StatusNoContent && len(body) <= nexudus.DefaultWebhookLimit {
			h.relay.send(relayWebhook, &relayMsg{Kind: relayWebhookK, Webhook: body})
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
