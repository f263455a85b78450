package devices_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	paho5 "github.com/eclipse/paho.golang/paho"
	paho3 "github.com/eclipse/paho.mqtt.golang"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/lockhub/lockhub/devices"
)

const waitFor = 5 * time.Second

// secretOf derives a test lock's secret the way the hub does: keyed by a
// master key, so secrets are high-entropy and recomputable.
func secretOf(lock string) string {
	m := hmac.New(sha256.New, []byte("test master key"))
	m.Write([]byte(lock))
	return hex.EncodeToString(m.Sum(nil))
}

// knownLocks answers LockSecret for locks whose id starts with "lock-" or is
// in the short list used by the tests.
func knownLocks(lock string) (string, bool) {
	if strings.HasPrefix(lock, "lock-") || lock == "A" || lock == "B" {
		return secretOf(lock), true
	}
	return "", false
}

// logBuffer is a concurrency-safe log sink, so tests can read what was
// logged (and check no payload or secret appears).
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type testBroker struct {
	*devices.Broker
	reg  *prometheus.Registry
	logs *logBuffer
}

// startBroker starts a broker on 127.0.0.1:0 (TCP unless cfg names other
// listeners) and stops it at the end of the test.
func startBroker(tb testing.TB, cfg devices.BrokerConfig, deps devices.BrokerDeps) *testBroker {
	tb.Helper()
	if cfg.TCP.Address == "" && cfg.TLS.Address == "" && cfg.WebSocket.Address == "" {
		cfg.TCP.Address = "127.0.0.1:0"
	}
	logs := &logBuffer{}
	reg := prometheus.NewRegistry()
	level := slog.LevelDebug
	if _, bench := tb.(*testing.B); bench {
		level = slog.LevelWarn // thousands of connects would fill the buffer
	}
	deps.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	deps.Registerer = reg
	if deps.LockSecret == nil {
		deps.LockSecret = knownLocks
	}
	b, err := devices.NewBroker(cfg, deps)
	if err != nil {
		tb.Fatalf("NewBroker: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Run: %v", err)
		}
	})
	return &testBroker{Broker: b, reg: reg, logs: logs}
}

// counter reads one series of a counter or gauge from the broker's registry.
func (b *testBroker) counter(tb testing.TB, name, label, value string) float64 {
	tb.Helper()
	mfs, err := b.reg.Gather()
	if err != nil {
		tb.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := label == ""
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					match = true
				}
			}
			if !match {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	tb.Fatalf("metric %s{%s=%q} not found", name, label, value)
	return 0
}

// eventually polls cond until it holds or waitFor passes.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// v3 connects a paho.mqtt.golang (MQTT 3.1.1) client; auto-reconnect is off
// so a dropped connection shows as lost.
func v3(tb testing.TB, url, clientID, user, pass string, lost *chan error) (paho3.Client, error) {
	tb.Helper()
	o := paho3.NewClientOptions().AddBroker(url).SetClientID(clientID).
		SetProtocolVersion(4).SetAutoReconnect(false).SetConnectRetry(false).
		SetKeepAlive(30 * time.Second).SetConnectTimeout(waitFor).SetOrderMatters(false)
	if user != "" {
		o.SetUsername(user)
	}
	if pass != "" {
		o.SetPassword(pass)
	}
	if lost != nil {
		ch := make(chan error, 1)
		*lost = ch
		o.SetConnectionLostHandler(func(_ paho3.Client, err error) { ch <- err })
	}
	c := paho3.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(waitFor) {
		return nil, fmt.Errorf("connect timed out")
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	tb.Cleanup(func() { c.Disconnect(50) })
	return c, nil
}

// mustV3 connects a lock with its right secret.
func mustV3(tb testing.TB, addr, lock string, lost *chan error) paho3.Client {
	tb.Helper()
	c, err := v3(tb, "tcp://"+addr, lock, lock, secretOf(lock), lost)
	if err != nil {
		tb.Fatalf("connect %s: %v", lock, err)
	}
	return c
}

func wait(tb testing.TB, tok paho3.Token) error {
	tb.Helper()
	if !tok.WaitTimeout(waitFor) {
		tb.Fatalf("token timed out")
	}
	return tok.Error()
}

// v5 connects a paho.golang (MQTT 5) client. It returns the CONNACK even on
// refusal.
func v5(tb testing.TB, addr, clientID, user, pass string, onMsg func(*paho5.Publish)) (*paho5.Client, *paho5.Connack, error) {
	tb.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	cfg := paho5.ClientConfig{Conn: conn, PacketTimeout: waitFor}
	if onMsg != nil {
		cfg.OnPublishReceived = []func(paho5.PublishReceived) (bool, error){
			func(pr paho5.PublishReceived) (bool, error) { onMsg(pr.Packet); return true, nil },
		}
	}
	c := paho5.NewClient(cfg)
	cp := &paho5.Connect{KeepAlive: 30, ClientID: clientID, CleanStart: true}
	if user != "" {
		cp.Username, cp.UsernameFlag = user, true
	}
	if pass != "" {
		cp.Password, cp.PasswordFlag = []byte(pass), true
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	ca, err := c.Connect(ctx, cp)
	if err == nil {
		tb.Cleanup(func() { _ = c.Disconnect(&paho5.Disconnect{}) })
	}
	return c, ca, err
}

// rawConnect sends a hand-built CONNECT and returns the connection and the
// CONNACK's return code (3.1.1).
func rawConnect(tb testing.TB, addr string, connect packets.ConnectParams) (net.Conn, byte) {
	tb.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	connect.ProtocolName = []byte("MQTT")
	connect.Clean = true
	connect.UsernameFlag = len(connect.Username) > 0
	connect.PasswordFlag = len(connect.Password) > 0
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 4, Connect: connect}
	var buf bytes.Buffer
	if err := pk.ConnectEncode(&buf); err != nil {
		tb.Fatalf("encode connect: %v", err)
	}
	if _, err := conn.Write(buf.Bytes()); err != nil {
		tb.Fatalf("write connect: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(waitFor))
	ack := make([]byte, 4)
	if _, err := io.ReadFull(conn, ack); err != nil {
		tb.Fatalf("read connack: %v", err)
	}
	if ack[0] != 0x20 || ack[1] != 2 {
		tb.Fatalf("not a 3.1.1 CONNACK: % x", ack)
	}
	_ = conn.SetReadDeadline(time.Time{})
	return conn, ack[3]
}

func lint(tb testing.TB, reg *prometheus.Registry) {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatalf("gather: %v", err)
	}
	// testutil.GatherAndLint needs a module missing from go.sum; promlint is
	// what it runs.
	probs, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		tb.Fatalf("lint: %v", err)
	}
	for _, p := range probs {
		tb.Errorf("metric lint: %s: %s", p.Metric, p.Text)
	}
}
