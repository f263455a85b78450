package devices

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/prometheus/client_golang/prometheus"
)

// ErrLockOffline is returned by SendCommand when no connection of the lock
// is open: commands are not queued for offline locks.
var ErrLockOffline = errors.New("lock is offline")

// hubClientID is the origin of the hub's own publishes. It cannot collide
// with a connecting client: their ids must start with a lock id or user name.
const hubClientID = "$lockhub"

// Listener ids.
const (
	listenerTCP = "tcp"
	listenerTLS = "tls"
	listenerWS  = "ws"
)

// BrokerDeps are the broker's collaborators.
type BrokerDeps struct {
	Logger     *slog.Logger          // nil = discard
	Registerer prometheus.Registerer // nil = metrics not registered

	// LockSecret returns the current MQTT password of a lock, ok=false for an
	// unknown lock. It is called on every lock CONNECT, so a re-issued key
	// generation takes effect at the next connect. Required.
	LockSecret func(lock string) (secret string, ok bool)
	// UserSecret returns the password of a configured user (BrokerConfig.Users).
	// nil = no user can log in.
	UserSecret func(name string) (secret string, ok bool)

	// Handlers for lock messages; nil ones are not called.
	Requests RequestHandler
	Events   EventHandler
	States   StateHandler

	Now func() time.Time // nil = time.Now
}

// BrokerAddrs are the bound listener addresses ("" for a disabled listener).
type BrokerAddrs struct {
	TCP       string
	TLS       string
	WebSocket string
}

// Broker is the embedded MQTT broker of the lock network.
type Broker struct {
	cfg      BrokerConfig
	log      *slog.Logger
	now      func() time.Time
	srv      *mqtt.Server
	hub      *mqtt.Client // inline client for the hub's publishes
	metrics  *metrics
	presence *presenceTable
	addrs    BrokerAddrs

	lockSecret func(string) (string, bool)
	userSecret func(string) (string, bool)
	users      map[string]*UserConfig
	requests   RequestHandler
	events     EventHandler
	states     StateHandler

	byClient *throttle
	byRemote *throttle
	sessions sync.Map // *mqtt.Client -> *session
	// subGen changes whenever a subscription may have been added (see
	// replyDirect).
	subGen atomic.Uint64

	running   atomic.Bool
	closeOnce sync.Once
	closed    chan struct{}
}

// NewBroker validates cfg and binds every configured listener, so a busy
// address fails here, naming the address. Nothing is served before Run.
func NewBroker(cfg BrokerConfig, deps BrokerDeps) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid broker config: %w", err)
	}
	if deps.LockSecret == nil {
		return nil, errors.New("new broker: LockSecret is required")
	}
	cfg = cfg.withDefaults()
	base := deps.Logger
	if base == nil {
		base = slog.New(slog.DiscardHandler)
	}
	log := base.With("component", "devices")
	m, err := newMetrics(deps.Registerer)
	if err != nil {
		return nil, err
	}
	b := &Broker{
		cfg:        cfg,
		log:        log,
		now:        deps.Now,
		metrics:    m,
		presence:   newPresenceTable(),
		lockSecret: deps.LockSecret,
		userSecret: deps.UserSecret,
		users:      make(map[string]*UserConfig, len(cfg.Users)),
		requests:   deps.Requests,
		events:     deps.Events,
		states:     deps.States,
		byClient:   newThrottle(cfg.AuthThrottle.ClientFailures, cfg.AuthThrottle.ClientRefill),
		byRemote:   newThrottle(cfg.AuthThrottle.RemoteFailures, cfg.AuthThrottle.RemoteRefill),
		closed:     make(chan struct{}),
	}
	if b.now == nil {
		b.now = time.Now
	}
	for i := range cfg.Users {
		u := cfg.Users[i]
		u.Publish = slices.Clone(u.Publish)
		u.Subscribe = slices.Clone(u.Subscribe)
		b.users[u.Name] = &u
	}

	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumClients = int64(cfg.MaxClients)
	caps.MaximumPacketSize = maxPacketSize
	caps.MaximumSessionExpiryInterval = maxSessionExpiry
	caps.MaximumMessageExpiryInterval = maxMessageExpiry
	caps.MaximumClientWritesPending = int32(cfg.MaxClientWritesPending)
	b.srv = mqtt.New(&mqtt.Options{
		Capabilities:             caps,
		ClientNetWriteBufferSize: clientNetBufferSize,
		ClientNetReadBufferSize:  clientNetBufferSize,
		Logger:                   newMochiLogger(base),
		SysTopicResendInterval:   sysTopicResendSeconds,
		InlineClient:             true,
	})
	b.hub = b.srv.NewClient(nil, mqtt.LocalListener, hubClientID, true)
	if err := b.srv.AddHook(&hook{b: b}, nil); err != nil {
		return nil, fmt.Errorf("add broker hook: %w", err)
	}
	if err := b.bind(); err != nil {
		_ = b.srv.Close() // releases listeners bound so far
		return nil, err
	}
	return b, nil
}

// bind opens the configured listeners.
func (b *Broker) bind() error {
	cfg := b.cfg
	if cfg.TCP.Address != "" {
		ln, err := listen("tcp", cfg.TCP.Address)
		if err != nil {
			return err
		}
		if err := b.addListener(listeners.NewNet(listenerTCP, deadlineListener{ln, cfg.ConnectTimeout}), ln); err != nil {
			return err
		}
		b.addrs.TCP = ln.Addr().String()
	}
	if cfg.TLS.Address != "" {
		tcfg, err := serverTLSConfig(cfg.TLS)
		if err != nil {
			return err
		}
		ln, err := listen("tls", cfg.TLS.Address)
		if err != nil {
			return err
		}
		tln := tls.NewListener(deadlineListener{ln, cfg.ConnectTimeout}, tcfg)
		if err := b.addListener(listeners.NewNet(listenerTLS, tln), ln); err != nil {
			return err
		}
		b.addrs.TLS = ln.Addr().String()
	}
	if cfg.WebSocket.Address != "" {
		ln, err := listen("websocket", cfg.WebSocket.Address)
		if err != nil {
			return err
		}
		if err := b.addListener(newWSListener(listenerWS, ln, cfg.WebSocket, cfg.ConnectTimeout), ln); err != nil {
			return err
		}
		b.addrs.WebSocket = ln.Addr().String()
	}
	return nil
}

func (b *Broker) addListener(l listeners.Listener, ln net.Listener) error {
	if err := b.srv.AddListener(l); err != nil {
		_ = ln.Close()
		return fmt.Errorf("add mqtt listener %s: %w", l.ID(), err)
	}
	return nil
}

// Addrs returns the bound listener addresses (none for a nil Broker: a hub
// in external mode has no embedded broker).
func (b *Broker) Addrs() BrokerAddrs {
	if b == nil {
		return BrokerAddrs{}
	}
	return b.addrs
}

// Run serves MQTT until ctx is done or Close is called, then closes the
// broker and returns once its client connections have ended.
func (b *Broker) Run(ctx context.Context) error {
	if !b.running.CompareAndSwap(false, true) {
		return errors.New("broker: Run called twice")
	}
	select {
	case <-b.closed:
		return errors.New("broker: closed before Run")
	default:
	}
	if err := b.srv.Serve(); err != nil {
		b.Close()
		return fmt.Errorf("start mqtt broker: %w", err)
	}
	b.log.Info("mqtt broker serving", "tcp", b.addrs.TCP, "tls", b.addrs.TLS, "websocket", b.addrs.WebSocket)
	sweep := time.NewTicker(30 * time.Second)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			b.Close()
			return nil
		case <-b.closed:
			return nil
		case <-sweep.C:
			b.sweep()
		}
	}
}

// closeTimeout bounds mochi's Server.Close.
const closeTimeout = 5 * time.Second

// Close stops the listeners, disconnects every client and waits (up to 5 s)
// for their connections to end. It is safe to call more than once.
func (b *Broker) Close() {
	b.closeOnce.Do(func() {
		close(b.closed)
		// mochi v2.7.9 can deadlock in Server.Close when a client is being
		// removed at the same moment (upstream issue #488, fix #489 unmerged):
		// bound the wait so a hub never hangs on shutdown. The process is
		// exiting or the broker is abandoned either way.
		done := make(chan struct{})
		go func() { _ = b.srv.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(closeTimeout):
			b.log.Warn("mqtt broker close timed out; continuing shutdown (mochi #488)", "after", closeTimeout)
			return
		}
		deadline := time.Now().Add(5 * time.Second)
		for atomic.LoadInt64(&b.srv.Info.ClientsConnected) > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// sweep drops sessions of connections that ended without OnDisconnect (a
// failed CONNACK write) and throttle buckets that have refilled.
func (b *Broker) sweep() {
	now := b.now()
	b.sessions.Range(func(k, v any) bool {
		cl, s := k.(*mqtt.Client), v.(*session)
		if cl.Closed() && now.Unix()-cl.StopTime() > 30 {
			b.sessions.Delete(cl)
			b.detach(s, now)
		}
		return true
	})
	b.byClient.sweep(now)
	b.byRemote.sweep(now)
}

// SendCommand publishes payload to the lock's cmd topic (QoS 1, never
// retained). It returns ErrLockOffline when the lock has no open connection.
func (b *Broker) SendCommand(lock string, payload []byte) error {
	if !ValidLockID(lock) {
		return fmt.Errorf("send command: invalid lock id %q", lock)
	}
	if !b.presence.online(lock) {
		return fmt.Errorf("send command to %s: %w", lock, ErrLockOffline)
	}
	if err := b.publish(LockTopic(lock, KindCmd), payload, nil, 1); err != nil {
		return fmt.Errorf("send command to %s: %w", lock, err)
	}
	return nil
}

// publish injects a message from the hub at qos (0: replies and acks, 1:
// commands; docs/protocol.md §2), with MQTT 5 correlation data when given
// (mochi's Server.Publish carries no properties).
func (b *Broker) publish(topic string, payload, correlation []byte, qos byte) error {
	pk := packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: qos},
		TopicName:   topic,
		Payload:     slices.Clone(payload),
	}
	if qos > 0 {
		pk.PacketID = 1 // required for QoS 1 validation; the inline path never uses it
	}
	pk.Properties.CorrelationData = correlation
	return b.srv.InjectPacket(b.hub, pk)
}

// Presence returns every lock that has connected or has a status, by lock id.
func (b *Broker) Presence() []LockPresence { return b.presence.all() }

// LockPresence returns one lock's presence.
func (b *Broker) LockPresence(lock string) (LockPresence, bool) { return b.presence.get(lock) }

// SetLockStatus stores what the lock reported about itself.
func (b *Broker) SetLockStatus(lock string, st LockStatus) { b.presence.setStatus(lock, st) }

// ForgetLock drops an offline lock's presence entry (a decommissioned lock).
func (b *Broker) ForgetLock(lock string) { b.presence.forget(lock) }
