package locks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
)

// Errors of a lock's operations.
var (
	ErrOffline        = errors.New("lock is offline")
	ErrTimeout        = errors.New("no reply in time")
	ErrStarted        = errors.New("lock already started")
	ErrClosed         = errors.New("lock closed")
	ErrNotCredential  = errors.New("request type is not a credential type")
	errStoppedOffline = errors.New("lock stopped")
)

// Lock is one virtual lock speaking lock protocol v1 (docs/protocol.md)
// over MQTT 3.1.1 or MQTT 5. Create it with NewLock, start it with Connect
// and stop it with Close. All methods are safe for concurrent use.
type Lock struct {
	cfg      LockConfig
	log      *slog.Logger
	url      *url.URL
	verifier *wire.Verifier
	bootedAt time.Time // real clock, with its monotonic reading
	topics   lockTopics

	clock   lockClock
	door    doorState
	taps    tapTable
	events  eventQueue
	refused refusalCounters
	stats   lockCounters

	connMu   sync.Mutex
	tr       transport     // nil while offline
	onlineCh chan struct{} // closed while connected

	stateDirty chan struct{} // cap 1: the state changed, publish it
	offlineReq chan offlineRequest
	lifeMu     sync.Mutex // serialises Connect and Close
	started    atomic.Bool
	ctx        context.Context // the lock's lifetime, ended by Close
	cancel     context.CancelFunc
	done       chan struct{} // closed when the connection loop has ended
	evDone     chan struct{} // closed when the event loop has ended
}

type lockTopics struct{ req, res, evt, ack, state, cmd string }

type offlineRequest struct {
	d       time.Duration
	unclean bool
	closed  chan struct{}
}

// NewLock validates cfg and returns a lock that is not yet connected. log
// may be nil (discard); no secret, credential or payload is ever logged.
func NewLock(cfg LockConfig, log *slog.Logger) (*Lock, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("lock config: %w", err)
	}
	u, _ := parseBrokerURL(cfg.BrokerURL)
	v, err := wire.NewVerifier(cfg.ID, cfg.CommandKey, cfg.Verifier)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", cfg.ID, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Lock{
		cfg:      cfg,
		log:      log.With("lock", cfg.ID),
		url:      u,
		verifier: v,
		bootedAt: time.Now(),
		topics: lockTopics{
			req: wire.Topic(cfg.ID, wire.KindReq), res: wire.Topic(cfg.ID, wire.KindRes),
			evt: wire.Topic(cfg.ID, wire.KindEvt), ack: wire.Topic(cfg.ID, wire.KindAck),
			state: wire.Topic(cfg.ID, wire.KindState), cmd: wire.Topic(cfg.ID, wire.KindCmd),
		},
		onlineCh:   make(chan struct{}),
		stateDirty: make(chan struct{}, 1),
		offlineReq: make(chan offlineRequest),
		done:       make(chan struct{}),
		evDone:     make(chan struct{}),
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.clock.init(cfg.ClockSkew)
	if l.clock.trusted {
		// A trusted clock at boot: commands issued before it are replays
		// from an earlier life (docs/protocol.md §9.5).
		v.SetIssuedFloor(l.Now())
	}
	l.door.battery = cfg.Battery
	l.taps.init()
	l.events.init()
	return l, nil
}

// ID returns the lock id.
func (l *Lock) ID() string { return l.cfg.ID }

// Protocol returns the MQTT version the lock speaks.
func (l *Lock) Protocol() Protocol { return l.cfg.Protocol }

// Boot returns the lock's boot epoch.
func (l *Lock) Boot() uint32 { return l.cfg.Boot }

// Connect opens the lock's first connection (one attempt, bounded by ctx
// and ConnectTimeout) and then keeps it: a lost connection is re-opened with
// jittered exponential backoff until Close. A failed first attempt leaves the
// lock unstarted, so Connect may be called again.
func (l *Lock) Connect(ctx context.Context) error {
	l.lifeMu.Lock()
	defer l.lifeMu.Unlock()
	if l.ctx.Err() != nil {
		return ErrClosed
	}
	if !l.started.CompareAndSwap(false, true) {
		return ErrStarted
	}
	tr, err := l.dial(ctx)
	if err != nil {
		l.started.Store(false)
		l.stats.connectFailures.Add(1)
		return fmt.Errorf("lock %s: %w", l.cfg.ID, err)
	}
	l.stats.connects.Add(1)
	l.setConn(tr) // online when Connect returns
	go l.run(l.ctx, tr)
	go l.eventLoop(l.ctx)
	return nil
}

// Close disconnects cleanly (no last will) and stops the lock's goroutines.
// Unacknowledged door events are dropped with the lock. A closed lock cannot
// be connected again.
func (l *Lock) Close() {
	l.lifeMu.Lock()
	defer l.lifeMu.Unlock()
	l.cancel()
	if !l.started.Load() {
		return
	}
	<-l.done
	<-l.evDone
}

func (l *Lock) dial(ctx context.Context) (transport, error) {
	o := dialOptions{
		url:       l.url,
		tls:       l.cfg.TLS,
		clientID:  l.cfg.ClientID,
		username:  l.cfg.ID,
		password:  l.cfg.Secret,
		keepAlive: l.cfg.KeepAlive,
		timeout:   l.cfg.ConnectTimeout,
		will:      publication{topic: l.topics.state, qos: 1, retain: true, payload: wire.AppendWill(nil, l.cfg.Boot)},
		subscribe: []string{l.topics.res, l.topics.ack, l.topics.cmd},
		onMessage: l.onMessage,
	}
	if l.cfg.Protocol == MQTT5 {
		return dial5(ctx, o)
	}
	return dial3(ctx, o)
}

// run is the connection loop: it serves one connection at a time and
// reconnects until ctx ends.
func (l *Lock) run(ctx context.Context, tr transport) {
	defer close(l.done)
	hb := time.NewTicker(l.cfg.Heartbeat)
	defer hb.Stop()
	for {
		l.publishState(tr)
		l.wakeEvents()
		off, ok := l.serve(ctx, tr, hb)
		l.setConn(nil)
		if !ok {
			return
		}
		if off.closed != nil {
			close(off.closed)
			if !sleepCtx(ctx, off.d) {
				return
			}
		} else {
			l.stats.connectionsLost.Add(1)
			l.log.Debug("lock connection lost")
		}
		if tr = l.reconnect(ctx, l.cfg.ReconnectMin); tr == nil {
			return
		}
		// Before the event loop can use the new connection: every sent,
		// unacknowledged event is resent on it, oldest first.
		l.events.reconnected()
		l.setConn(tr)
	}
}

// serve handles one connection until it is lost (ok, zero request), an
// offline period is requested (ok, that request) or ctx ends (not ok).
func (l *Lock) serve(ctx context.Context, tr transport, hb *time.Ticker) (offlineRequest, bool) {
	for {
		select {
		case <-ctx.Done():
			tr.close(true)
			return offlineRequest{}, false
		case <-tr.lost():
			return offlineRequest{}, true
		case req := <-l.offlineReq:
			l.setConn(nil)
			tr.close(!req.unclean)
			l.stats.offlinePeriods.Add(1)
			return req, true
		case <-hb.C:
			l.publishState(tr)
		case <-l.stateDirty:
			l.publishState(tr)
		}
	}
}

// reconnect dials with jittered exponential backoff from first, capped at
// ReconnectMax (≤ 30 s). It returns nil when ctx ends.
func (l *Lock) reconnect(ctx context.Context, first time.Duration) transport {
	base := first
	for {
		if !sleepCtx(ctx, jitter(base)) {
			return nil
		}
		tr, err := l.dial(ctx)
		if err == nil {
			l.stats.connects.Add(1)
			l.stats.reconnects.Add(1)
			return tr
		}
		l.stats.connectFailures.Add(1)
		l.log.Debug("lock reconnect failed", "error", err)
		base = min(2*base, l.cfg.ReconnectMax)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (l *Lock) setConn(tr transport) {
	l.connMu.Lock()
	defer l.connMu.Unlock()
	switch {
	case tr != nil && l.tr == nil:
		l.tr = tr
		close(l.onlineCh)
	case tr == nil && l.tr != nil:
		l.tr = nil
		l.onlineCh = make(chan struct{})
	}
}

func (l *Lock) conn() transport {
	l.connMu.Lock()
	defer l.connMu.Unlock()
	return l.tr
}

// Online reports whether the lock has an open connection.
func (l *Lock) Online() bool { return l.conn() != nil }

// WaitOnline waits until the lock is connected, or ctx ends.
func (l *Lock) WaitOnline(ctx context.Context) error {
	l.connMu.Lock()
	ch := l.onlineCh
	l.connMu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// GoOffline closes the lock's connection and keeps it closed for d, then
// reconnects with jittered backoff. unclean drops the socket without an MQTT
// DISCONNECT, as a network failure would, so the broker publishes the lock's
// last will; otherwise the lock disconnects cleanly. It returns once the
// connection is closed, or ErrOffline if the lock was not connected.
func (l *Lock) GoOffline(ctx context.Context, d time.Duration, unclean bool) error {
	if l.conn() == nil || !l.started.Load() {
		return ErrOffline
	}
	req := offlineRequest{d: d, unclean: unclean, closed: make(chan struct{})}
	select {
	case l.offlineReq <- req:
	case <-l.done:
		return errStoppedOffline
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-req.closed:
		return nil
	case <-l.done:
		return errStoppedOffline
	}
}

// onMessage dispatches what the hub sent. It runs on the client library's
// goroutines and never blocks.
func (l *Lock) onMessage(m inbound) {
	switch m.topic {
	case l.topics.res:
		l.handleResponse(m.payload, m.correlation)
	case l.topics.ack:
		l.handleAck(m.payload)
	case l.topics.cmd:
		l.handleCommand(m.payload, m.retained)
	default:
		l.stats.strayMessages.Add(1)
	}
}

// markStateDirty asks the connection loop to publish the state.
func (l *Lock) markStateDirty() {
	select {
	case l.stateDirty <- struct{}{}:
	default:
	}
}

// publishState publishes the retained state with online:true.
func (l *Lock) publishState(tr transport) {
	st := l.wireState()
	err := tr.publish(publication{topic: l.topics.state, qos: 1, retain: true, payload: wire.AppendLockState(nil, &st)})
	if err != nil {
		l.log.Debug("lock state not published", "error", err)
		return
	}
	l.stats.statesPublished.Add(1)
}
