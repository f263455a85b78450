package locks

import (
	"context"
	"crypto/tls"
	"net"
	"net/url"
	"sync"
	"time"
)

// inbound is a message the hub sent to the lock.
type inbound struct {
	topic       string
	payload     []byte
	retained    bool
	correlation []byte // MQTT 5 correlation data, nil otherwise
}

// publication is a message the lock sends.
type publication struct {
	topic   string
	qos     byte
	retain  bool
	payload []byte
	// MQTT 5 only: the response topic and correlation data of a request.
	responseTopic string
	correlation   []byte
}

// transport is one open MQTT connection of a lock, subscribed to its res,
// ack and cmd topics. Publishing never waits for a PUBACK: a lock's own
// protocol (replies, acks, heartbeats) tells what arrived.
type transport interface {
	publish(p publication) error
	// close ends the connection: clean sends DISCONNECT (no will), otherwise
	// the socket is closed as if the network failed (the broker sends the
	// will).
	close(clean bool)
	// lost is closed when the connection has ended, for any reason.
	lost() <-chan struct{}
}

// dialOptions is what both MQTT client libraries need to connect a lock.
type dialOptions struct {
	url       *url.URL
	tls       *tls.Config
	clientID  string
	username  string
	password  string
	keepAlive time.Duration
	timeout   time.Duration
	will      publication // retained QoS 1 offline state
	subscribe []string    // filters subscribed with QoS 1 before dial returns
	onMessage func(inbound)
}

// dialNet opens the TCP or TLS socket under the transport.
func dialNet(ctx context.Context, u *url.URL, tcfg *tls.Config, timeout time.Duration) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	if !isTLS(u) {
		return d.DialContext(ctx, "tcp", u.Host)
	}
	cfg := tcfg
	if cfg == nil {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.ServerName == "" {
		cfg = cfg.Clone()
		cfg.ServerName = u.Hostname()
	}
	td := &tls.Dialer{NetDialer: d, Config: cfg}
	return td.DialContext(ctx, "tcp", u.Host)
}

// lostSignal is a close-once channel.
type lostSignal struct {
	once sync.Once
	ch   chan struct{}
}

func newLostSignal() *lostSignal { return &lostSignal{ch: make(chan struct{})} }

func (s *lostSignal) fire() { s.once.Do(func() { close(s.ch) }) }

// conn records the socket a client library opened, so that close(false) can
// drop it without an MQTT DISCONNECT.
type connHolder struct {
	mu   sync.Mutex
	conn net.Conn
}

func (h *connHolder) set(c net.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conn = c
}

func (h *connHolder) drop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn != nil {
		_ = h.conn.Close()
	}
}
