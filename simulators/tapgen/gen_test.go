//go:build linux

package tapgen_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/internal/testnet"
	"github.com/lockhub/lockhub/simulators/locks"
	"github.com/lockhub/lockhub/simulators/responder"
	"github.com/lockhub/lockhub/simulators/tapgen"
)

func identities(n int) []locks.Identity {
	ids := make([]locks.Identity, n)
	for i := range ids {
		ids[i] = locks.Identity{ID: fmt.Sprintf("lock-%03d", i), Secret: "s"}
	}
	return ids
}

// TestRunThroughResponder: 40 locks, 400 taps at 400/s through a broker
// and the responder; every tap is answered, granted for members' cards and
// denied for unknown ones, and the report adds up.
func TestRunThroughResponder(t *testing.T) {
	url := testnet.PlainBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := responder.New(responder.Config{BrokerURL: url, Cards: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	g, err := tapgen.New(ctx, tapgen.Config{BrokerURL: url, Locks: identities(40)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if n := g.Locks(); n != 40 {
		t.Fatalf("%d locks connected, want 40", n)
	}
	creds := []locks.Credential{
		{Type: wire.TypeCard, Value: responder.CardValue(3), Weight: 3, Label: "member"},
		{Type: wire.TypeCard, Random: true, Weight: 1, Label: "unknown"},
	}
	rep, err := g.Run(ctx, tapgen.Traffic{Rate: 400, Duration: time.Second, Credentials: creds, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent < 390 || rep.Sent > 401 {
		t.Fatalf("sent %d taps in a 1 s run at 400/s", rep.Sent)
	}
	if rep.Failures() != 0 || rep.Latency.Count != rep.Sent {
		t.Fatalf("%d replies to %d taps, %d failures", rep.Latency.Count, rep.Sent, rep.Failures())
	}
	granted, denied := rep.Results["granted/allowed"], rep.Results["denied/unknown_credential"]
	if granted+denied != rep.Sent || granted != rep.Credentials["member"] || denied != rep.Credentials["unknown"] {
		t.Fatalf("results %v for credentials %v", rep.Results, rep.Credentials)
	}
	if granted < denied {
		t.Fatalf("granted %d < denied %d with weights 3:1", granted, denied)
	}
	if rep.Latency.Max <= 0 || rep.Latency.P50 > rep.Latency.Max {
		t.Fatalf("latency summary %+v", rep.Latency)
	}
	if st := r.Stats(); st.Requests != rep.Sent {
		t.Fatalf("responder saw %d requests, generator sent %d", st.Requests, rep.Sent)
	}
	if st := g.Stats(); st != (tapgen.Stats{}) {
		t.Fatalf("generator stats %+v, want all zero", st)
	}
	// A second run starts its ids afresh and still matches every reply.
	rep, err = g.Run(ctx, tapgen.Traffic{Rate: 200, Duration: 500 * time.Millisecond, Credentials: creds})
	if err != nil || rep.Failures() != 0 || rep.Latency.Count != rep.Sent || rep.Sent == 0 {
		t.Fatalf("second run: %d replies to %d taps, %d failures, err %v", rep.Latency.Count, rep.Sent, rep.Failures(), err)
	}
}

// TestUnansweredTapsAreTimeouts: with nobody answering, every tap is a
// timeout after the drain, and nothing is counted as a reply.
func TestUnansweredTapsAreTimeouts(t *testing.T) {
	url := testnet.PlainBroker(t)
	ctx := context.Background()
	g, err := tapgen.New(ctx, tapgen.Config{BrokerURL: url, Locks: identities(3)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	rep, err := g.Run(ctx, tapgen.Traffic{Rate: 100, Duration: 200 * time.Millisecond, Drain: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent == 0 || rep.Latency.Timeouts != rep.Sent || rep.Latency.Count != 0 || rep.Failures() != rep.Sent {
		t.Fatalf("sent %d, timeouts %d, replies %d, failures %d", rep.Sent, rep.Latency.Timeouts, rep.Latency.Count, rep.Failures())
	}
}

// fakeBroker accepts one connection on 127.0.0.1 and plays script on it:
// it reads the client's first packet, then writes each reply in turn
// (reading one more packet before each after the first).
func fakeBroker(t *testing.T, script ...[]byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 4096)
		for _, out := range script {
			if _, err := c.Read(buf); err != nil {
				return
			}
			if _, err := c.Write(out); err != nil {
				return
			}
		}
		_, _ = c.Read(buf) // hold the connection until the client closes it
	}()
	return "tcp://" + ln.Addr().String()
}

// TestConnectErrors: a refused CONNECT, a refused subscription, a broker
// that answers with the wrong packet, and bad configs each fail New with
// a clear error.
func TestConnectErrors(t *testing.T) {
	connack := []byte{0x20, 2, 0, 0}
	for _, c := range []struct {
		name   string
		script [][]byte
		want   string
	}{
		{"refused", [][]byte{{0x20, 2, 0, 5}}, "refused with return code 5"},
		{"not a connack", [][]byte{{0xd0, 0}}, "CONNACK: got packet type 13"},
		{"subscription refused", [][]byte{connack, {0x90, 3, 0, 1, 0x80}}, "subscription to the res topic refused"},
		{"closed", [][]byte{}, "connection closed by the broker"},
		{"garbage length", [][]byte{{0x20, 0xff, 0xff, 0xff, 0xff, 0x01}}, "malformed remaining length"},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := fakeBroker(t, c.script...)
			_, err := tapgen.New(context.Background(), tapgen.Config{BrokerURL: url, Locks: identities(1), ConnectTimeout: 2 * time.Second}, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New: %v, want an error with %q", err, c.want)
			}
		})
	}
	for _, c := range []struct {
		name string
		cfg  tapgen.Config
	}{
		{"no locks", tapgen.Config{BrokerURL: "tcp://127.0.0.1:1"}},
		{"host name", tapgen.Config{BrokerURL: "tcp://localhost:1883", Locks: identities(1)}},
		{"tls", tapgen.Config{BrokerURL: "ssl://127.0.0.1:8883", Locks: identities(1)}},
		{"bad lock id", tapgen.Config{BrokerURL: "tcp://127.0.0.1:1", Locks: []locks.Identity{{ID: "a/b"}}}},
		{"keep-alive", tapgen.Config{BrokerURL: "tcp://127.0.0.1:1", Locks: identities(1), KeepAlive: time.Second}},
	} {
		if _, err := tapgen.New(context.Background(), c.cfg, nil); err == nil {
			t.Errorf("%s: New accepted the config", c.name)
		}
	}
}

// TestBrokenStreamDropsTheLock: garbage after the handshake ends that
// lock's connection (counted as lost), and its taps fail as send errors.
func TestBrokenStreamDropsTheLock(t *testing.T) {
	garbage := []byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x01}
	url := fakeBroker(t, []byte{0x20, 2, 0, 0}, append([]byte{0x90, 3, 0, 1, 0}, garbage...))
	g, err := tapgen.New(context.Background(), tapgen.Config{BrokerURL: url, Locks: identities(1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	deadline := time.Now().Add(10 * time.Second)
	for g.Stats().Lost == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := g.Stats(); st.Lost != 1 || g.Locks() != 0 {
		t.Fatalf("stats %+v, %d locks after garbage", st, g.Locks())
	}
	rep, err := g.Run(context.Background(), tapgen.Traffic{Rate: 50, Duration: 100 * time.Millisecond, Drain: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent == 0 || rep.Latency.Errors != rep.Sent {
		t.Fatalf("sent %d, errors %d", rep.Sent, rep.Latency.Errors)
	}
}

// TestPingsKeepLocksConnected: with a 2 s keep-alive the broker drops a
// silent client after 3 s; the pinger keeps every lock connected past that.
func TestPingsKeepLocksConnected(t *testing.T) {
	url := testnet.PlainBroker(t)
	g, err := tapgen.New(context.Background(), tapgen.Config{BrokerURL: url, Locks: identities(5), KeepAlive: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	time.Sleep(4500 * time.Millisecond)
	if st := g.Stats(); st.Lost != 0 || g.Locks() != 5 {
		t.Fatalf("after 4.5 s: stats %+v, %d locks connected", st, g.Locks())
	}
}
