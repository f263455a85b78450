package devices

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// deadlineListener hands out accepted connections as sysConns (raw reads and
// writes, sysconn_linux.go) and sets a deadline on each, so a socket
// that never sends CONNECT is closed. mochi sets no deadline until it has
// parsed CONNECT; then it replaces ours with 1.5 × keepalive
// (Client.refreshDeadline, before authentication) and refreshes it on every
// packet, so ours only covers the time up to CONNECT (and the TLS handshake).
type deadlineListener struct {
	net.Listener
	timeout time.Duration
}

func (l deadlineListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c = sysConnOf(c) // reads and writes without the scheduler's syscall bookkeeping
	if err := c.SetDeadline(time.Now().Add(l.timeout)); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("set connect deadline: %w", err)
	}
	return c, nil
}

func listen(name, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mqtt %s listener on %s: %w", name, addr, err)
	}
	return ln, nil
}

// serverTLSConfig loads the TLS listener's certificate and, if configured,
// the client CA for mutual TLS.
func serverTLSConfig(c TLSListenerConfig) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load tls certificate: %w", err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	}
	if c.ClientCAFile != "" {
		pem, err := os.ReadFile(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("read tls client ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read tls client ca %s: no certificate found", c.ClientCAFile)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		if c.RequireClientCert {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return cfg, nil
}

// wsListener serves MQTT over WebSocket on a listener bound in NewBroker
// (mochi's own WebSocket listener binds only in Serve, so a busy port would
// show late, and port 0 could not be read back).
type wsListener struct {
	id       string
	ln       net.Listener
	timeout  time.Duration
	origins  []string
	upgrader websocket.Upgrader
	srv      *http.Server
	log      *slog.Logger

	mu        sync.Mutex
	establish listeners.EstablishFn
	closed    bool
}

func newWSListener(id string, ln net.Listener, cfg WebSocketConfig, timeout time.Duration) *wsListener {
	l := &wsListener{id: id, ln: ln, timeout: timeout, origins: cfg.AllowedOrigins}
	l.upgrader = websocket.Upgrader{
		Subprotocols:     []string{"mqtt"},
		HandshakeTimeout: timeout,
		ReadBufferSize:   clientNetBufferSize,
		WriteBufferSize:  clientNetBufferSize,
		WriteBufferPool:  &sync.Pool{},
		CheckOrigin:      l.checkOrigin,
	}
	mux := http.NewServeMux()
	mux.HandleFunc(cfg.Path, l.handle)
	l.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: timeout,
		ErrorLog:          nil,
	}
	return l
}

// checkOrigin admits clients that send no Origin (devices and tools) and
// browsers from a listed origin.
func (l *wsListener) checkOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	return o == "" || slices.Contains(l.origins, o)
}

func (l *wsListener) handle(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	establish := l.establish
	l.mu.Unlock()
	if establish == nil {
		http.Error(w, "not serving", http.StatusServiceUnavailable)
		return
	}
	c, err := l.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	nc := c.UnderlyingConn()
	if err := nc.SetDeadline(time.Now().Add(l.timeout)); err != nil {
		_ = nc.Close()
		return
	}
	if err := establish(l.id, &wsConn{Conn: nc, ws: c}); err != nil {
		l.log.Debug("websocket client ended", "error", err)
	}
}

func (l *wsListener) ID() string       { return l.id }
func (l *wsListener) Address() string  { return l.ln.Addr().String() }
func (l *wsListener) Protocol() string { return "ws" }

func (l *wsListener) Init(log *slog.Logger) error {
	l.log = log
	return nil
}

func (l *wsListener) Serve(establish listeners.EstablishFn) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.establish = establish
	l.mu.Unlock()
	if err := l.srv.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		l.log.Error("websocket listener stopped", "error", err)
	}
}

func (l *wsListener) Close(closeClients listeners.CloseFn) {
	l.mu.Lock()
	already := l.closed
	l.closed = true
	l.mu.Unlock()
	if !already {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = l.srv.Shutdown(ctx) // also closes l.ln; hijacked connections are closed below
		_ = l.ln.Close()
	}
	closeClients(l.id)
}

// wsConn adapts a WebSocket connection to net.Conn for mochi: one MQTT byte
// stream carried in binary messages. Deadlines go to the TCP connection.
type wsConn struct {
	net.Conn
	ws *websocket.Conn
	r  io.Reader
}

func (c *wsConn) Read(p []byte) (int, error) {
	for {
		if c.r == nil {
			typ, r, err := c.ws.NextReader()
			if err != nil {
				return 0, err
			}
			if typ != websocket.BinaryMessage {
				return 0, errors.New("websocket message is not binary")
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if errors.Is(err, io.EOF) {
			c.r = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}

func (c *wsConn) Write(p []byte) (int, error) {
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *wsConn) Close() error { return c.ws.Close() }
