package devices_test

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	paho3packets "github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/lockhub/lockhub/devices"
)

func userSecrets(name string) (string, bool) {
	if name == "integ" {
		return "integ-password", true
	}
	return "", false
}

func TestConnectV3(t *testing.T) {
	b := startBroker(t, devices.BrokerConfig{
		Users: []devices.UserConfig{{Name: "integ", Subscribe: []string{"lockhub/v1/locks/+/evt"}}},
	}, devices.BrokerDeps{UserSecret: userSecrets})
	url := "tcp://" + b.Addrs().TCP
	tests := []struct {
		name, clientID, user, pass string
		want                       error  // nil = accepted
		reason                     string // auth_failures_total label expected to rise
	}{
		{"right secret", "lock-1", "lock-1", secretOf("lock-1"), nil, ""},
		{"tool client id", "lock-1/tool", "lock-1", secretOf("lock-1"), nil, ""},
		{"user", "integ", "integ", "integ-password", nil, ""},
		{"user sub id", "integ/2", "integ", "integ-password", nil, ""},
		{"wrong secret", "lock-2", "lock-2", secretOf("lock-3"), paho3packets.ErrorRefusedBadUsernameOrPassword, "bad_secret"},
		{"unknown lock", "zz", "zz", secretOf("zz"), paho3packets.ErrorRefusedBadUsernameOrPassword, "unknown_lock"},
		{"no credentials", "lock-4", "", "", paho3packets.ErrorRefusedBadUsernameOrPassword, "no_credentials"},
		{"no password", "lock-4", "lock-4", "", paho3packets.ErrorRefusedBadUsernameOrPassword, "no_credentials"},
		{"other lock's client id", "lock-5", "lock-6", secretOf("lock-6"), paho3packets.ErrorRefusedIDRejected, "bad_client_id"},
		{"client id prefix without slash", "lock-66", "lock-6", secretOf("lock-6"), paho3packets.ErrorRefusedIDRejected, "bad_client_id"},
		{"inline client id", "inline", "inline", secretOf("inline"), paho3packets.ErrorRefusedIDRejected, "bad_client_id"},
		{"user wrong password", "integ", "integ", "nope", paho3packets.ErrorRefusedBadUsernameOrPassword, "bad_secret"},
		{"user bad client id", "lock-7", "integ", "integ-password", paho3packets.ErrorRefusedIDRejected, "bad_client_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := 0.0
			if tt.reason != "" {
				before = b.counter(t, "lockhub_mqtt_auth_failures_total", "reason", tt.reason)
			}
			c, err := v3(t, url, tt.clientID, tt.user, tt.pass, nil)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("connect = %v, want accepted", err)
				}
				if !c.IsConnected() {
					t.Fatal("client not connected")
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("connect = %v, want %v", err, tt.want)
			}
			if got := b.counter(t, "lockhub_mqtt_auth_failures_total", "reason", tt.reason); got != before+1 {
				t.Errorf("auth_failures_total{reason=%q} = %v, want %v", tt.reason, got, before+1)
			}
		})
	}
	if logs := b.logs.String(); strings.Contains(logs, secretOf("lock-3")) || strings.Contains(logs, "integ-password") {
		t.Error("a password appears in the log")
	}
	lint(t, b.reg)
}

func TestConnectV5ReasonCodes(t *testing.T) {
	b := startBroker(t, devices.BrokerConfig{}, devices.BrokerDeps{})
	addr := b.Addrs().TCP
	tests := []struct {
		name, clientID, user, pass string
		want                       byte
	}{
		{"right secret", "lock-1", "lock-1", secretOf("lock-1"), 0},
		{"wrong secret", "lock-1", "lock-1", "x", packets.ErrBadUsernameOrPassword.Code},
		{"unknown lock", "nope", "nope", "x", packets.ErrBadUsernameOrPassword.Code},
		{"bad client id", "lock-2", "lock-1", secretOf("lock-1"), packets.ErrClientIdentifierNotValid.Code},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ca, err := v5(t, addr, tt.clientID, tt.user, tt.pass, nil)
			if ca == nil {
				t.Fatalf("no CONNACK: %v", err)
			}
			if ca.ReasonCode != tt.want {
				t.Fatalf("CONNACK reason = %#x (%v), want %#x", ca.ReasonCode, err, tt.want)
			}
		})
	}
}

func TestKeepaliveZeroRefused(t *testing.T) {
	b := startBroker(t, devices.BrokerConfig{}, devices.BrokerDeps{})
	conn, rc := rawConnect(t, b.Addrs().TCP, packets.ConnectParams{
		ClientIdentifier: "lock-1", Username: []byte("lock-1"), Password: []byte(secretOf("lock-1")), Keepalive: 0,
	})
	if rc != 5 {
		t.Fatalf("CONNACK return code = %d, want 5 (not authorized)", rc)
	}
	_ = conn.SetReadDeadline(time.Now().Add(waitFor))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after refusal")
	}
	if got := b.counter(t, "lockhub_mqtt_auth_failures_total", "reason", "keepalive_zero"); got != 1 {
		t.Errorf("keepalive_zero failures = %v, want 1", got)
	}
	// The same CONNECT with a keepalive is accepted.
	_, rc = rawConnect(t, b.Addrs().TCP, packets.ConnectParams{
		ClientIdentifier: "lock-1", Username: []byte("lock-1"), Password: []byte(secretOf("lock-1")), Keepalive: 30,
	})
	if rc != 0 {
		t.Fatalf("CONNACK return code = %d, want 0", rc)
	}
}

func TestSilentSocketClosedAfterConnectTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	b := startBroker(t, devices.BrokerConfig{ConnectTimeout: timeout}, devices.BrokerDeps{})
	conn, err := net.Dial("tcp", b.Addrs().TCP)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(waitFor))
	_, err = conn.Read(make([]byte, 1))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("broker kept a silent socket open for %v", waitFor)
	}
	if err == nil {
		t.Fatal("broker sent data to a socket that sent nothing")
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("read = %v, want EOF or reset", err)
	}
	if el := time.Since(start); el < timeout/2 {
		t.Errorf("socket closed after %v, before the %v deadline", el, timeout)
	}

	// A client that connects in time is not cut off by that deadline: its
	// deadline becomes 1.5 × keepalive.
	c := mustV3(t, b.Addrs().TCP, "lock-1", nil)
	time.Sleep(3 * timeout)
	if err := wait(t, c.Publish(devices.LockTopic("lock-1", devices.KindState), 1, true, "up")); err != nil {
		t.Fatalf("publish after the connect deadline: %v", err)
	}
	if !c.IsConnected() {
		t.Fatal("connected client was closed by the connect deadline")
	}
}

func TestAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	_, err = devices.NewBroker(devices.BrokerConfig{TCP: devices.ListenerConfig{Address: addr}},
		devices.BrokerDeps{LockSecret: knownLocks})
	if err == nil {
		t.Fatal("NewBroker on a busy address succeeded")
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the address %s", err, addr)
	}
}
