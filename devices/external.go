package devices

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/lockhub/lockhub/devices/wire"
	"github.com/prometheus/client_golang/prometheus"
)

// ErrNotConnected is returned by SendCommand and Publish while the hub has
// no connection to the external broker.
var ErrNotConnected = errors.New("not connected to the external mqtt broker")

// ExternalSubscription is a non-lock topic the hub follows on the external
// broker (the hubs' own topics). Handle runs on one goroutine for all
// extra subscriptions, in arrival order; payload stays valid after it.
type ExternalSubscription struct {
	Filter string
	Handle func(topic string, payload []byte)
}

// ExternalDeps are the external broker client's collaborators.
type ExternalDeps struct {
	Logger     *slog.Logger          // nil = discard
	Registerer prometheus.Registerer // nil = metrics not registered

	// Handlers for lock messages; nil ones are not called.
	Requests RequestHandler
	Events   EventHandler
	States   StateHandler
	// Extra topics (QoS 1, not shared: every hub gets every message).
	Extra []ExternalSubscription

	Now func() time.Time // nil = time.Now
}

// ExternalBroker serves lock protocol v1 as a client of an external MQTT
// broker (external mode): requests and events through shared subscriptions
// ($share/<group>/lockhub/v1/locks/+/req and .../evt, so each is handled by
// one hub of the group), lock states through a plain subscription (every
// hub tracks presence), replies published QoS 0 and commands QoS 1, not
// retained.
//
// The broker authenticates the locks and enforces their ACLs: the lock id
// of a message is the level of the topic it arrived on, which only that
// lock may publish to (docs/scale-out.md gives the broker rules). Presence
// comes from the retained state topic and the locks' last wills only: no
// connect or disconnect is seen in this mode.
//
// It implements CommandSender and StatusSink, so a Service drives it as it
// drives the embedded Broker.
type ExternalBroker struct {
	cfg      ExternalConfig
	log      *slog.Logger
	now      func() time.Time
	opts     *paho.ClientOptions
	requests RequestHandler
	events   EventHandler
	states   StateHandler
	extra    []ExternalSubscription
	presence *statePresence
	m        *externalMetrics

	client atomic.Pointer[paho.Client] // nil while disconnected
	shards []chan extMsg
	extraQ chan extMsg
	seed   maphash.Seed

	running   atomic.Bool
	closeOnce sync.Once
	closed    chan struct{}
	workers   sync.WaitGroup
}

type extMsg struct {
	lock    string
	kind    wire.Kind
	msg     paho.Message
	handler func(string, []byte) // extra subscriptions
}

// extQueue is each worker's queue depth. A full queue blocks paho's router
// (back-pressure towards the broker), which is short-lived: workers never
// wait on paho.
const extQueue = 256

// NewExternalBroker validates cfg and reads its TLS files. It does not
// connect: Run does, and keeps reconnecting.
func NewExternalBroker(cfg ExternalConfig, deps ExternalDeps) (*ExternalBroker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid external broker config: %w", err)
	}
	cfg = cfg.withDefaults()
	u, err := ParseExternalURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "devices", "mqtt_mode", "external")
	m, err := newExternalMetrics(deps.Registerer)
	if err != nil {
		return nil, err
	}
	b := &ExternalBroker{
		cfg: cfg, log: log, now: deps.Now,
		requests: deps.Requests, events: deps.Events, states: deps.States,
		extra: deps.Extra, presence: newStatePresence(), m: m,
		shards: make([]chan extMsg, cfg.Workers),
		extraQ: make(chan extMsg, extQueue),
		seed:   maphash.MakeSeed(),
		closed: make(chan struct{}),
	}
	if b.now == nil {
		b.now = time.Now
	}
	for i := range b.shards {
		b.shards[i] = make(chan extMsg, extQueue)
	}
	for _, x := range deps.Extra {
		if x.Filter == "" || x.Handle == nil {
			return nil, errors.New("new external broker: extra subscription needs a filter and a handler")
		}
	}
	o := paho.NewClientOptions()
	o.AddBroker(u.String())
	o.SetClientID(cfg.ClientID)
	o.SetProtocolVersion(4)
	o.SetCleanSession(true)
	o.SetKeepAlive(cfg.KeepAlive)
	o.SetPingTimeout(min(cfg.KeepAlive, 10*time.Second))
	o.SetConnectTimeout(cfg.ConnectTimeout)
	o.SetWriteTimeout(cfg.ConnectTimeout)
	o.SetAutoReconnect(false) // Run's own loop, with jitter
	o.SetConnectRetry(false)
	o.SetOrderMatters(true) // the handler only enqueues
	o.SetAutoAckDisabled(true)
	o.SetDefaultPublishHandler(b.route)
	if cfg.Username != "" {
		o.SetUsername(cfg.Username)
		o.SetPassword(cfg.Password)
	}
	if externalIsTLS(u) {
		tc, err := externalTLS(cfg, u.Hostname())
		if err != nil {
			return nil, err
		}
		o.SetTLSConfig(tc)
	}
	b.opts = o
	return b, nil
}

// Run connects, subscribes and serves until ctx is done or Close is called,
// reconnecting with a jittered exponential backoff capped at 30 s.
func (b *ExternalBroker) Run(ctx context.Context) error {
	if !b.running.CompareAndSwap(false, true) {
		return errors.New("external broker: Run called twice")
	}
	select {
	case <-b.closed:
		return errors.New("external broker: closed before Run")
	default:
	}
	stop := make(chan struct{})
	for i := range b.shards {
		b.workers.Add(1)
		go b.work(b.shards[i], stop)
	}
	b.workers.Add(1)
	go b.work(b.extraQ, stop)
	defer func() {
		// The queues are never closed: a late delivery from a dying client
		// must not panic. route gives up once b.closed is closed.
		b.Close()
		close(stop)
		b.workers.Wait()
	}()
	delay := b.cfg.ReconnectMin
	for {
		lost, err := b.connect()
		if err == nil {
			delay = b.cfg.ReconnectMin
			select {
			case <-ctx.Done():
				b.disconnect()
				return nil
			case <-b.closed:
				b.disconnect()
				return nil
			case err = <-lost:
			}
			b.client.Store(nil)
			b.m.connected.Set(0)
		}
		b.log.Warn("external mqtt broker unreachable; reconnecting", "error", err, "in_max", delay)
		t := time.NewTimer(jitterDelay(delay))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-b.closed:
			t.Stop()
			return nil
		case <-t.C:
		}
		delay = min(delay*2, b.cfg.ReconnectMax)
	}
}

// jitterDelay draws a delay uniformly from [d/2, d].
func jitterDelay(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// connect opens one connection and makes the subscriptions. lost receives
// the error that ends it.
func (b *ExternalBroker) connect() (<-chan error, error) {
	lost := make(chan error, 1)
	o := *b.opts
	o.SetConnectionLostHandler(func(_ paho.Client, err error) {
		select {
		case lost <- err:
		default:
		}
	})
	cl := paho.NewClient(&o)
	b.m.attempts.Inc()
	tok := cl.Connect()
	if !tok.WaitTimeout(b.cfg.ConnectTimeout + time.Second) {
		cl.Disconnect(0)
		return nil, errors.New("connect timed out")
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	filters := map[string]byte{
		"$share/" + b.cfg.ShareGroup + "/" + wire.Filter(wire.KindReq): 1,
		"$share/" + b.cfg.ShareGroup + "/" + wire.Filter(wire.KindEvt): 1,
		wire.Filter(wire.KindState):                                    1,
	}
	for _, x := range b.extra {
		filters[x.Filter] = 1
	}
	st := cl.SubscribeMultiple(filters, nil)
	if !st.WaitTimeout(b.cfg.ConnectTimeout) {
		cl.Disconnect(0)
		return nil, errors.New("subscribe timed out")
	}
	if err := st.Error(); err != nil {
		cl.Disconnect(0)
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	for f, code := range st.(*paho.SubscribeToken).Result() {
		if code >= 0x80 {
			cl.Disconnect(0)
			return nil, fmt.Errorf("subscribe %s: refused by the broker (check its ACL for the hub user)", f)
		}
	}
	b.client.Store(&cl)
	b.m.connected.Set(1)
	b.log.Info("connected to external mqtt broker", "url", b.cfg.URL, "client_id", b.cfg.ClientID, "share_group", b.cfg.ShareGroup)
	return lost, nil
}

func (b *ExternalBroker) disconnect() {
	if p := b.client.Swap(nil); p != nil {
		(*p).Disconnect(250)
	}
	b.m.connected.Set(0)
}

// Close disconnects and stops Run. It is safe to call more than once.
func (b *ExternalBroker) Close() {
	b.closeOnce.Do(func() {
		close(b.closed)
		b.disconnect()
	})
}

// Connected reports whether the hub is connected to the broker now.
func (b *ExternalBroker) Connected() bool { return b.client.Load() != nil }

// route runs on paho's router goroutine: it only picks the lock's worker.
func (b *ExternalBroker) route(_ paho.Client, m paho.Message) {
	topic := m.Topic()
	lock, kind, err := wire.ParseTopic(topic)
	if err != nil {
		for _, x := range b.extra {
			if filterCovers(x.Filter, topic) {
				b.enqueue(b.extraQ, extMsg{msg: m, handler: x.Handle})
				return
			}
		}
		m.Ack()
		return
	}
	if m.Retained() && kind != wire.KindState {
		m.Ack() // a retained request or event is a misconfigured client's
		return
	}
	b.enqueue(b.shards[maphash.String(b.seed, lock)%uint64(len(b.shards))], extMsg{lock: lock, kind: kind, msg: m})
}

// enqueue waits for room in q, or gives up (not acking) once closed.
func (b *ExternalBroker) enqueue(q chan<- extMsg, x extMsg) {
	select {
	case q <- x:
	case <-b.closed:
	}
}

func (b *ExternalBroker) work(q <-chan extMsg, stop <-chan struct{}) {
	defer b.workers.Done()
	for {
		select {
		case x := <-q:
			b.handle(x)
			x.msg.Ack() // after the handler: a request in hand when the hub dies is redelivered or retried
		case <-stop:
			return
		}
	}
}

func (b *ExternalBroker) handle(x extMsg) {
	if x.handler != nil {
		x.handler(x.msg.Topic(), x.msg.Payload())
		return
	}
	now := b.now()
	p := x.msg.Payload()
	switch x.kind {
	case wire.KindReq:
		b.m.messages.WithLabelValues(KindReq).Inc()
		b.presence.seen(x.lock, now)
		if b.requests != nil {
			b.requests.HandleRequest(x.lock, p, false, b.replier(x.lock, KindRes))
		}
	case wire.KindEvt:
		b.m.messages.WithLabelValues(KindEvt).Inc()
		b.presence.seen(x.lock, now)
		if b.events != nil {
			b.events.HandleEvent(x.lock, p, b.replier(x.lock, KindAck))
		}
	case wire.KindState:
		b.m.messages.WithLabelValues(KindState).Inc()
		var st wire.LockState
		if err := wire.DecodeLockState(p, &st); err == nil {
			b.presence.setOnline(x.lock, st.Online, now)
		}
		if b.states != nil {
			b.states.HandleState(x.lock, p)
		}
	}
}

// replier publishes a reply (QoS 0, not retained; docs/protocol.md §2) to
// the lock's topic of the given kind.
func (b *ExternalBroker) replier(lock, kind string) func([]byte) {
	return func(payload []byte) {
		// paho sends asynchronously and keeps the slice until then; the
		// caller may reuse payload once reply returns (RequestHandler).
		if err := b.publishQoS(LockTopic(lock, kind), slices.Clone(payload), 0); err != nil {
			b.log.Warn("mqtt reply not published", "lock", lock, "kind", kind, "error", err)
		}
	}
}

// Publish sends payload (QoS 1, not retained) without waiting for the
// PUBACK; it fails at once when the hub is not connected.
func (b *ExternalBroker) Publish(topic string, payload []byte) error {
	return b.publishQoS(topic, payload, 1)
}

func (b *ExternalBroker) publishQoS(topic string, payload []byte, qos byte) error {
	p := b.client.Load()
	if p == nil {
		return ErrNotConnected
	}
	tok := (*p).Publish(topic, qos, false, payload)
	select {
	case <-tok.Done():
		return tok.Error()
	default:
		return nil
	}
}

// SendCommand publishes payload to the lock's cmd topic (QoS 1, never
// retained). It returns ErrLockOffline when the lock's last state said it
// is offline (or no state was ever seen), ErrNotConnected without a
// connection to the broker.
func (b *ExternalBroker) SendCommand(lock string, payload []byte) error {
	if !ValidLockID(lock) {
		return fmt.Errorf("send command: invalid lock id %q", lock)
	}
	if !b.presence.online(lock) {
		return fmt.Errorf("send command to %s: %w", lock, ErrLockOffline)
	}
	if err := b.Publish(LockTopic(lock, KindCmd), payload); err != nil {
		return fmt.Errorf("send command to %s: %w", lock, err)
	}
	return nil
}

// Presence returns every lock seen, by lock id. Online follows the lock's
// retained state and last will; Connections is 1 while online.
func (b *ExternalBroker) Presence() []LockPresence { return b.presence.all() }

// LockPresence returns one lock's presence.
func (b *ExternalBroker) LockPresence(lock string) (LockPresence, bool) { return b.presence.get(lock) }

// SetLockStatus stores what the lock reported about itself.
func (b *ExternalBroker) SetLockStatus(lock string, st LockStatus) { b.presence.setStatus(lock, st) }

// ForgetLock drops an offline lock's presence entry.
func (b *ExternalBroker) ForgetLock(lock string) { b.presence.forget(lock) }

// Interface guards.
var (
	_ CommandSender = (*ExternalBroker)(nil)
	_ StatusSink    = (*ExternalBroker)(nil)
	_ CommandSender = (*Broker)(nil)
	_ StatusSink    = (*Broker)(nil)
)
