package devices

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// connectRaw sends a 3.1.1 CONNECT and reads the CONNACK, failing the test
// unless it accepts.
func connectRaw(t *testing.T, addr, id, user, pass string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 4,
		Connect: packets.ConnectParams{
			ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 60, ClientIdentifier: id,
			UsernameFlag: true, Username: []byte(user), PasswordFlag: true, Password: []byte(pass),
		}}
	var buf bytes.Buffer
	if err := pk.ConnectEncode(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	ack := make([]byte, 4)
	if _, err := io.ReadFull(conn, ack); err != nil {
		t.Fatalf("read connack: %v", err)
	}
	if ack[3] != 0 {
		t.Fatalf("%s refused: % x", id, ack)
	}
}

// TestLockWritesPending: a lock's outbound queue is lockWritesPending long
// (at most MaxClientWritesPending); other users keep the configured length.
func TestLockWritesPending(t *testing.T) {
	for _, tt := range []struct {
		name    string
		pending int
		lock    int32
	}{
		{"default", 0, lockWritesPending},
		{"capped by max_client_writes_pending", 10, 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBroker(BrokerConfig{
				TCP:                    ListenerConfig{Address: "127.0.0.1:0"},
				MaxClientWritesPending: tt.pending,
				Users:                  []UserConfig{{Name: "tool", Subscribe: []string{"#"}}},
			}, BrokerDeps{
				LockSecret: func(lock string) (string, bool) { return "s-" + lock, lock == "A" },
				UserSecret: func(name string) (string, bool) { return "p-" + name, name == "tool" },
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- b.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })

			connectRaw(t, b.Addrs().TCP, "A", "A", "s-A")
			connectRaw(t, b.Addrs().TCP, "tool", "tool", "p-tool")
			lock, ok := b.srv.Clients.Get("A")
			if !ok {
				t.Fatal("lock A not connected")
			}
			if got := lock.State.MaximumWritesPending; got != tt.lock {
				t.Errorf("lock's MaximumWritesPending = %d, want %d", got, tt.lock)
			}
			user, ok := b.srv.Clients.Get("tool")
			if !ok {
				t.Fatal("user tool not connected")
			}
			if got := user.State.MaximumWritesPending; got != 0 {
				t.Errorf("user's MaximumWritesPending = %d, want 0 (the server's MaxClientWritesPending)", got)
			}
		})
	}
}
