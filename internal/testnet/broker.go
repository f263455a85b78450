package testnet

import (
	"testing"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// PlainBroker runs a plain mochi broker (no auth, no ACL) on 127.0.0.1:0,
// standing in for Mosquitto in the tests of the benchmark's simulators, and
// returns its URL. It stops when the test ends.
func PlainBroker(tb testing.TB) string {
	tb.Helper()
	s := mqtt.New(&mqtt.Options{InlineClient: false})
	if err := s.AddHook(new(auth.AllowHook), nil); err != nil {
		tb.Fatal(err)
	}
	l := listeners.NewTCP(listeners.Config{ID: "t", Address: "127.0.0.1:0"})
	if err := s.AddListener(l); err != nil {
		tb.Fatal(err)
	}
	go func() { _ = s.Serve() }()
	tb.Cleanup(func() { _ = s.Close() })
	return "tcp://" + l.Address()
}
