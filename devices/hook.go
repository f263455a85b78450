package devices

import (
	"bytes"
	"cmp"
	"errors"
	"net"
	"slices"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// hook is the broker's only auth and ACL hook: deny by default. mochi ORs
// OnConnectAuthenticate and OnACLCheck across hooks, so no other hook that
// provides them may ever be added (never auth.AllowHook or the ledger).
type hook struct {
	mqtt.HookBase
	b *Broker
}

func (h *hook) ID() string { return "lockhub-devices" }

func (h *hook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnACLCheck,
		mqtt.OnSessionEstablish, mqtt.OnDisconnect, mqtt.OnPacketRead,
		mqtt.OnSubscribe, mqtt.OnSubscribed, mqtt.OnSessionEstablished, mqtt.OnPublish, mqtt.OnPublished,
		mqtt.OnPublishDropped, mqtt.OnWillSent,
	}, []byte{b})
}

func (h *hook) Init(any) error { return nil }

func (b *Broker) session(cl *mqtt.Client) *session {
	v, ok := b.sessions.Load(cl)
	if !ok {
		return nil
	}
	return v.(*session)
}

// OnConnect authenticates the client (mochi calls it before
// OnConnectAuthenticate, and a non-nil error drops the connection without a
// CONNACK, so we send our own with a precise reason code).
func (h *hook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	b := h.b
	now := b.now()
	if pk.Connect.Keepalive == 0 {
		// mochi would then never time the connection out.
		return b.refuse(cl, reasonKeepaliveZero, "")
	}
	remote := remoteHost(cl.Net.Remote)
	if b.byClient.blocked(cl.ID, now) {
		return b.refuseThrottled(cl, scopeClientID)
	}
	if b.byRemote.blocked(remote, now) {
		return b.refuseThrottled(cl, scopeRemote)
	}
	s, reason := b.authenticate(cl, pk)
	if reason == "" && !b.willAllowed(s, cl.Properties.Will) {
		reason = reasonBadWill
	}
	if reason != "" {
		b.byClient.fail(cl.ID, now)
		b.byRemote.fail(remote, now)
		// The name is logged only once it is known to be a lock or user: an
		// unknown username may be a password typed in the wrong field.
		name := ""
		if s != nil && reason != reasonUnknownLock && reason != reasonUnknownUser {
			name = s.name
		}
		return b.refuse(cl, reason, name)
	}
	b.byClient.forget(cl.ID)
	s.since = now
	b.sessions.Store(cl, s)
	return nil
}

// OnConnectAuthenticate allows exactly the clients OnConnect accepted.
func (h *hook) OnConnectAuthenticate(cl *mqtt.Client, _ packets.Packet) bool {
	return h.b.session(cl) != nil
}

// OnSessionEstablish runs before CONNACK, after authentication and before a
// takeover disconnects an older connection with the same client id, so the
// lock does not flap offline on a takeover.
//
// It also sizes a lock's outbound queue, which mochi (our fork) makes right
// after this hook.
func (h *hook) OnSessionEstablish(cl *mqtt.Client, _ packets.Packet) {
	b := h.b
	b.subGen.Add(1) // a resumed session brings its subscriptions
	s := b.session(cl)
	if s != nil && s.kind == kindLock {
		cl.State.MaximumWritesPending = int32(min(lockWritesPending, b.cfg.MaxClientWritesPending))
	}
	if s == nil || !b.presence.attach(s, b.now()) {
		return
	}
	b.metrics.connections.WithLabelValues(s.kind).Inc()
	b.metrics.connects.WithLabelValues(s.kind).Inc()
	b.log.Debug("mqtt client connected", "client_id", cl.ID, s.kind, s.name,
		"remote", cl.Net.Remote, "protocol_version", cl.Properties.ProtocolVersion)
}

func (h *hook) OnDisconnect(cl *mqtt.Client, err error, _ bool) {
	b := h.b
	v, ok := b.sessions.LoadAndDelete(cl)
	if !ok {
		return
	}
	s := v.(*session)
	if b.detach(s, b.now()) {
		b.log.Debug("mqtt client disconnected", "client_id", cl.ID, s.kind, s.name, "error", err)
	}
}

func (b *Broker) detach(s *session, now time.Time) bool {
	if !b.presence.detach(s, now) {
		return false
	}
	b.metrics.connections.WithLabelValues(s.kind).Dec()
	return true
}

// OnPacketRead records that the lock was seen.
func (h *hook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if s := h.b.session(cl); s != nil && s.lock != nil {
		s.lock.lastSeen.Store(h.b.now().UnixNano())
	}
	return pk, nil
}

// OnACLCheck runs on publish (write), on subscribe and on every delivery
// (read), so it does one map load and a few string compares.
//
// Writes are allowed here for every authenticated client and decided in
// OnPublish instead: mochi disconnects a v3.1.1 client whose QoS>0 publish
// fails this check, and a lock with auto-reconnect would loop. OnPublish can
// acknowledge and drop (CodeSuccessIgnore), or answer an MQTT 5 client with
// a PUBACK "not authorized".
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	s := h.b.session(cl)
	switch {
	case s == nil:
		return false
	case write:
		return true
	case s.kind == kindLock:
		return lockMayRead(s.name, topic)
	default:
		return userMayRead(s.user, topic)
	}
}

// OnSubscribe logs and counts the filters OnACLCheck is about to refuse
// (mochi maps a refusal to SUBACK 0x87, or 0x80 for v3.1.1).
func (h *hook) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	b := h.b
	b.subGen.Add(1)
	s := b.session(cl)
	if s == nil {
		return pk
	}
	for _, sub := range pk.Filters {
		ok := false
		if s.kind == kindLock {
			ok = lockMayRead(s.name, sub.Filter)
		} else {
			ok = userMayRead(s.user, sub.Filter)
		}
		if !ok {
			b.metrics.aclRefusals.WithLabelValues(dirSubscribe).Inc()
			b.log.Warn("mqtt subscription refused", "client_id", cl.ID, s.kind, s.name, "filter", sub.Filter)
		}
	}
	return pk
}

// OnSubscribed and OnSessionEstablished move the subscription generation
// on again once the subscriptions are in place (replyDirect).
func (h *hook) OnSubscribed(*mqtt.Client, packets.Packet, []byte) { h.b.subGen.Add(1) }

func (h *hook) OnSessionEstablished(*mqtt.Client, packets.Packet) { h.b.subGen.Add(1) }

// OnPublish enforces the write ACL. A refused publish is logged (never its
// payload), counted and dropped; the client stays connected.
func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil // the hub itself
	}
	b := h.b
	s := b.session(cl)
	reason := "unauthenticated"
	if s != nil && s.kind == kindLock {
		reason = lockMayPublish(s.name, pk.TopicName, pk.FixedHeader.Retain, pk.Properties.ResponseTopic)
	} else if s != nil {
		reason = userMayPublish(s.user, pk.TopicName, pk.FixedHeader.Retain)
	}
	if reason == "" {
		return pk, nil
	}
	b.metrics.aclRefusals.WithLabelValues(dirPublish).Inc()
	args := []any{"client_id", cl.ID, "topic", pk.TopicName, "retain", pk.FixedHeader.Retain,
		"qos", pk.FixedHeader.Qos, "reason", reason}
	if s != nil {
		args = append(args, s.kind, s.name)
	}
	b.log.Warn("mqtt publish refused", args...)
	if cl.Properties.ProtocolVersion == 5 && pk.FixedHeader.Qos == 1 {
		// mochi answers PUBACK 0x87 and drops the message. (For QoS 2 it
		// would answer with a PUBACK, which is wrong, so QoS 2 is ignored.)
		return pk, packets.ErrNotAuthorized
	}
	// Acknowledged as usual (PUBACK/PUBREC), then neither retained nor
	// delivered.
	return pk, packets.CodeSuccessIgnore
}

// OnPublished hands a lock's accepted messages on its own req, evt and state
// topics to the handlers. It runs after mochi has acknowledged the packet and
// delivered it to subscribers, on the publishing client's read goroutine.
func (h *hook) OnPublished(cl *mqtt.Client, pk packets.Packet) {
	if cl.Net.Inline || pk.Ignore {
		return
	}
	b := h.b
	s := b.session(cl)
	if s == nil || s.kind != kindLock {
		return
	}
	kind, ok := ownTopicKind(pk.TopicName, s.name)
	if !ok {
		return
	}
	switch kind {
	case KindReq:
		b.metrics.reqMessages.Inc()
		if b.requests != nil {
			b.requests.HandleRequest(s.name, pk.Payload, len(pk.Properties.CorrelationData) > 0, b.replier(s, KindRes, pk.Properties))
		}
	case KindEvt:
		b.metrics.evtMessages.Inc()
		if b.events != nil {
			b.events.HandleEvent(s.name, pk.Payload, b.replier(s, KindAck, pk.Properties))
		}
	case KindState:
		b.metrics.stateMessages.Inc()
		if b.states != nil {
			b.states.HandleState(s.name, pk.Payload)
		}
	}
}

// replier returns the function publishing a reply of the given kind (QoS 0,
// docs/protocol.md §2): to the MQTT 5 response topic (already checked to be
// the lock's own topic of this kind) with the correlation data, else to the
// lock's topic of that kind.
func (b *Broker) replier(s *session, kind string, props packets.Properties) func([]byte) {
	lock := s.name
	own := s.ownTopic(kind)
	topic := cmp.Or(props.ResponseTopic, own)
	// The direct path caches its answer per (connection, kind), which holds
	// for the lock's own topic of that kind only.
	slot := replySlot(kind)
	if topic != own {
		slot = -1
	}
	corr := slices.Clone(props.CorrelationData)
	return func(payload []byte) {
		if slot >= 0 && b.replyDirect(s, slot, topic, payload, corr) {
			b.metrics.repliesDirect.Inc()
			return
		}
		if err := b.publish(topic, payload, corr, 0); err != nil {
			b.log.Warn("mqtt reply not published", "lock", lock, "topic", topic, "error", err)
			return
		}
		b.metrics.repliesBroker.Inc()
	}
}

// replyDirect writes a QoS 0 reply straight to the requesting connection,
// from the calling goroutine, when that connection is the topic's only
// subscriber and its subscription needs nothing of the broker's delivery
// path (no subscription identifier, no topic alias). It saves the hand-off
// to the connection's write goroutine and the broker's publish path, which
// is most of a reply's cost. It reports false (the caller publishes as
// usual) in every other case: other subscribers, such as an integration
// reading res topics, must get the reply too.
//
// The subscriber check walks the broker's topic index, so a positive answer
// is cached per connection until the subscription generation moves (any
// subscribe, or a resumed session, anywhere). Removals do not move it: they
// cannot add a subscriber, and negative answers are not cached.
func (b *Broker) replyDirect(s *session, slot int, topic string, payload, corr []byte) bool {
	cl := s.cl
	if cl == nil || cl.Closed() || cl.Properties.Props.TopicAliasMaximum > 0 {
		return false
	}
	gen := b.subGen.Load()
	if s.direct[slot].Load() != gen+1 {
		if !b.onlySubscriber(s, topic) {
			return false
		}
		s.direct[slot].Store(gen + 1)
	}
	pk := packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Publish},
		TopicName:   topic,
		Payload:     payload,
		Origin:      hubClientID,
	}
	pk.Properties.CorrelationData = corr
	if err := cl.WritePacket(pk); err != nil {
		// A closed connection or a packet over the client's maximum size:
		// the broker's own path decides what happens to it.
		return false
	}
	return true
}

// onlySubscriber says whether the lock's connection is topic's only
// subscriber, with a plain subscription the ACL lets it read.
func (b *Broker) onlySubscriber(s *session, topic string) bool {
	cl := s.cl
	subs := b.srv.Topics.Subscribers(topic)
	if len(subs.Subscriptions) != 1 || len(subs.Shared) != 0 || len(subs.InlineSubscriptions) != 0 {
		return false
	}
	sub, ok := subs.Subscriptions[cl.ID]
	if !ok || hasIdentifier(sub) {
		return false
	}
	return lockMayRead(s.name, topic)
}

// hasIdentifier says whether a subscription carries an MQTT 5 subscription
// identifier, which the broker's path adds to each delivery. (mochi's
// Subscription.Merge records every matched filter in Identifiers, with 0
// when there is none.)
func hasIdentifier(sub packets.Subscription) bool {
	if sub.Identifier > 0 {
		return true
	}
	for _, id := range sub.Identifiers {
		if id > 0 {
			return true
		}
	}
	return false
}

func (h *hook) OnPublishDropped(cl *mqtt.Client, pk packets.Packet) {
	h.b.metrics.dropped.Inc()
	h.b.log.Debug("mqtt message dropped: client queue full", "client_id", cl.ID, "topic", pk.TopicName)
}

// OnWillSent passes a lock's own last will (its offline state) to the state
// handler. A will delayed past the disconnect (MQTT 5 will delay) is sent
// by the broker after the session is gone and is not passed on.
func (h *hook) OnWillSent(cl *mqtt.Client, pk packets.Packet) {
	b := h.b
	s := b.session(cl)
	if s == nil || s.kind != kindLock || b.states == nil {
		return
	}
	if kind, ok := ownTopicKind(pk.TopicName, s.name); ok && kind == KindState {
		b.states.HandleState(s.name, pk.Payload)
	}
}

// willAllowed checks the CONNECT's last will like a publish: mochi publishes
// wills without any ACL check.
func (b *Broker) willAllowed(s *session, w mqtt.Will) bool {
	if w.Flag == 0 {
		return true
	}
	if s.kind == kindLock {
		return lockMayPublish(s.name, w.TopicName, w.Retain, "") == "" &&
			w.TopicName == LockTopic(s.name, KindState)
	}
	return userMayPublish(s.user, w.TopicName, w.Retain) == ""
}

func remoteHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// errRefused is returned from OnConnect to make mochi close a refused client.
var errRefused = errors.New("mqtt connect refused")
