package hub_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices"
	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/simulators/locks"
)

// reusingHandler answers every request from one buffer and scribbles over
// it as soon as reply returns, as the lock service does with its pooled
// reply buffers: the contract (devices.RequestHandler) is that reply keeps
// no reference to its payload.
type reusingHandler struct{ buf []byte }

func (h *reusingHandler) HandleRequest(_ string, p []byte, _ bool, reply func([]byte)) {
	h.buf = append(h.buf[:0], "reply-"...)
	h.buf = append(h.buf, p...)
	reply(h.buf)
	for i := range h.buf {
		h.buf[i] = 'X'
	}
}

// In external mode the reply goes out through paho, which sends
// asynchronously: the broker must copy the payload before it returns.
func TestExternalReplyOutlivesCallersBuffer(t *testing.T) {
	const lock, lockPW = "door-1", "door-1-secret"
	url := startMosquitto(t, "hub", map[string]string{"hub": "hub-secret", lock: lockPW})
	ext, err := devices.NewExternalBroker(devices.ExternalConfig{
		URL: url, Username: "hub", Password: "hub-secret", ClientID: "hub-reply-test", ShareGroup: "lockhub",
		KeepAlive: 10 * time.Second, ReconnectMax: time.Second,
	}, devices.ExternalDeps{Requests: &reusingHandler{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ext.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; ext.Close() })
	deadline := time.Now().Add(extWait)
	for !ext.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("external broker not connected")
		}
		time.Sleep(10 * time.Millisecond)
	}

	c, got := rawClient(t, url, locks.Identity{ID: lock, Secret: lockPW})
	// The hub's shared subscription may lag its connection a little.
	time.Sleep(200 * time.Millisecond)

	const n = 300
	for i := range n {
		if tok := c.Publish(wire.Topic(lock, wire.KindReq), 0, false, fmt.Sprintf("req-%03d", i)); !tok.WaitTimeout(extWait) {
			t.Fatal("publish timed out")
		}
	}
	want := map[string]bool{}
	for i := range n {
		want[fmt.Sprintf("reply-req-%03d", i)] = true
	}
	timeout := time.After(extWait)
	for len(want) > 0 {
		select {
		case m := <-got:
			p := string(m.Payload())
			if !want[p] {
				t.Fatalf("reply %q: not one of the answers (a payload changed after reply returned?)", p)
			}
			delete(want, p)
		case <-timeout:
			t.Fatalf("%d of %d replies missing", len(want), n)
		}
	}
}
