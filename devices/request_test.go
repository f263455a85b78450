package devices_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	paho5 "github.com/eclipse/paho.golang/paho"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/lockhub/lockhub/devices"
)

func TestRequestRoundTripV3(t *testing.T) {
	rec := &recorder{}
	b := startBroker(t, devices.BrokerConfig{}, handlerDeps(rec))
	a := mustV3(t, b.Addrs().TCP, "A", nil)
	res, acks := &inbox{}, &inbox{}
	if err := wait(t, a.Subscribe(devices.LockTopic("A", devices.KindRes), 1, res.handler)); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, a.Subscribe(devices.LockTopic("A", devices.KindAck), 1, acks.handler)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind    string
		payload string
		in      *inbox
		want    string
	}{
		{devices.KindReq, "unlock?", res, devices.LockTopic("A", devices.KindRes) + " re:unlock?"},
		{devices.KindEvt, "door-open#7", acks, devices.LockTopic("A", devices.KindAck) + " ok:door-open#7"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			if err := wait(t, a.Publish(devices.LockTopic("A", tt.kind), 1, false, tt.payload)); err != nil {
				t.Fatal(err)
			}
			eventually(t, "reply", func() bool { return len(tt.in.all()) == 1 })
			if got := tt.in.all()[0]; got != tt.want {
				t.Errorf("reply = %q, want %q", got, tt.want)
			}
			// Subscribed at QoS 1, delivered at the publisher's QoS: res
			// and ack are published QoS 0 (docs/protocol.md §2).
			if q, _ := tt.in.qosOf(tt.want); q != 0 {
				t.Errorf("reply delivered at QoS %d, want 0", q)
			}
		})
	}
	if got := b.counter(t, "lockhub_mqtt_lock_messages_total", "kind", "req"); got != 1 {
		t.Errorf("lock_messages_total{kind=req} = %v, want 1", got)
	}
}

// v5Inbox collects MQTT 5 publishes with their properties.
type v5Inbox struct {
	mu   sync.Mutex
	msgs []*paho5.Publish
}

func (in *v5Inbox) add(p *paho5.Publish) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.msgs = append(in.msgs, p)
}

func (in *v5Inbox) all() []*paho5.Publish {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]*paho5.Publish(nil), in.msgs...)
}

func TestRequestRoundTripV5ResponseTopic(t *testing.T) {
	rec := &recorder{}
	b := startBroker(t, devices.BrokerConfig{}, handlerDeps(rec))
	in := &v5Inbox{}
	c, _, err := v5(t, b.Addrs().TCP, "A", "A", secretOf("A"), in.add)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	resTopic := devices.LockTopic("A", devices.KindRes)
	if _, err := c.Subscribe(ctx, &paho5.Subscribe{Subscriptions: []paho5.SubscribeOptions{{Topic: resTopic, QoS: 1}}}); err != nil {
		t.Fatal(err)
	}
	for i, corr := range []string{"corr-1", "corr-2\x00\xff"} {
		_, err := c.Publish(ctx, &paho5.Publish{
			Topic: devices.LockTopic("A", devices.KindReq), QoS: 1, Payload: []byte("unlock"),
			Properties: &paho5.PublishProperties{ResponseTopic: resTopic, CorrelationData: []byte(corr)},
		})
		if err != nil {
			t.Fatalf("publish request: %v", err)
		}
		eventually(t, "reply", func() bool { return len(in.all()) == i+1 })
		got := in.all()[i]
		if got.Topic != resTopic || string(got.Payload) != "re:unlock" {
			t.Errorf("reply %s %q, want %s re:unlock", got.Topic, got.Payload, resTopic)
		}
		if got.Properties == nil || string(got.Properties.CorrelationData) != corr {
			t.Errorf("reply correlation data = %+v, want %q", got.Properties, corr)
		}
		if got.QoS != 0 {
			t.Errorf("reply QoS %d, want 0 (docs/protocol.md §2)", got.QoS)
		}
	}
	if got := b.counter(t, "lockhub_mqtt_replies_total", "path", "direct"); got != 2 {
		t.Errorf("direct replies = %v, want 2 (the lock is its res topic's only subscriber)", got)
	}
}

// A subscription identifier is added by the broker's delivery path, so a
// lock that asks for one gets its replies through the broker, with it.
func TestReplyKeepsSubscriptionIdentifier(t *testing.T) {
	rec := &recorder{}
	b := startBroker(t, devices.BrokerConfig{}, handlerDeps(rec))
	in := &v5Inbox{}
	c, _, err := v5(t, b.Addrs().TCP, "A", "A", secretOf("A"), in.add)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	resTopic := devices.LockTopic("A", devices.KindRes)
	id := 7
	if _, err := c.Subscribe(ctx, &paho5.Subscribe{
		Properties:    &paho5.SubscribeProperties{SubscriptionIdentifier: &id},
		Subscriptions: []paho5.SubscribeOptions{{Topic: resTopic, QoS: 1}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, &paho5.Publish{
		Topic: devices.LockTopic("A", devices.KindReq), QoS: 0, Payload: []byte("unlock"),
		Properties: &paho5.PublishProperties{ResponseTopic: resTopic, CorrelationData: []byte("c-7")},
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "reply", func() bool { return len(in.all()) == 1 })
	got := in.all()[0]
	if got.Properties == nil || got.Properties.SubscriptionIdentifier == nil || *got.Properties.SubscriptionIdentifier != id {
		t.Errorf("reply properties %+v, want subscription identifier %d", got.Properties, id)
	}
	if got.Properties == nil || string(got.Properties.CorrelationData) != "c-7" {
		t.Errorf("reply correlation data lost: %+v", got.Properties)
	}
	if got := b.counter(t, "lockhub_mqtt_replies_total", "path", "broker"); got != 1 {
		t.Errorf("broker replies = %v, want 1", got)
	}
}

func TestRequestWithForeignResponseTopicRefused(t *testing.T) {
	rec := &recorder{}
	b := startBroker(t, devices.BrokerConfig{}, handlerDeps(rec))
	addr := b.Addrs().TCP
	bIn := &v5Inbox{}
	cb, _, err := v5(t, addr, "B", "B", secretOf("B"), bIn.add)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := cb.Subscribe(ctx, &paho5.Subscribe{Subscriptions: []paho5.SubscribeOptions{
		{Topic: devices.LockTopic("B", devices.KindRes), QoS: 1}}}); err != nil {
		t.Fatal(err)
	}
	ca, _, err := v5(t, addr, "A", "A", secretOf("A"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range []string{devices.LockTopic("B", devices.KindRes), devices.LockTopic("A", devices.KindCmd), "elsewhere"} {
		pr, err := ca.Publish(ctx, &paho5.Publish{
			Topic: devices.LockTopic("A", devices.KindReq), QoS: 1, Payload: []byte("unlock"),
			Properties: &paho5.PublishProperties{ResponseTopic: rt, CorrelationData: []byte("c")},
		})
		if err == nil || pr == nil || pr.ReasonCode != packets.ErrNotAuthorized.Code {
			t.Errorf("request with response topic %q = %+v, %v; want PUBACK 0x87", rt, pr, err)
		}
	}
	// A proper request still works on the same connection, and only it was
	// handled.
	if _, err := ca.Publish(ctx, &paho5.Publish{Topic: devices.LockTopic("A", devices.KindReq), QoS: 1, Payload: []byte("ok")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "handled", func() bool { return len(rec.all()) == 1 })
	if got := rec.all(); got[0] != "req A ok" {
		t.Errorf("handled = %q", got)
	}
	if got := bIn.all(); len(got) != 0 {
		t.Errorf("B received %d messages", len(got))
	}
}

func TestPresence(t *testing.T) {
	b := startBroker(t, devices.BrokerConfig{}, devices.BrokerDeps{})
	addr := b.Addrs().TCP
	if _, ok := b.LockPresence("A"); ok {
		t.Fatal("presence for a lock that never connected")
	}
	if err := b.SendCommand("A", []byte("x")); !errors.Is(err, devices.ErrLockOffline) {
		t.Errorf("SendCommand to offline lock = %v, want ErrLockOffline", err)
	}
	before := time.Now()
	a := mustV3(t, addr, "A", nil)
	p, ok := b.LockPresence("A")
	if !ok || !p.Online || p.Connections != 1 || p.ClientID != "A" || p.ProtocolVersion != 4 || p.RemoteAddr == "" {
		t.Fatalf("presence after connect = %+v", p)
	}
	if p.ConnectedSince.Before(before) || p.LastSeen.Before(p.ConnectedSince) {
		t.Errorf("times: since %v last seen %v (test started %v)", p.ConnectedSince, p.LastSeen, before)
	}
	if got := b.counter(t, "lockhub_mqtt_connections", "kind", "lock"); got != 1 {
		t.Errorf("connections{kind=lock} = %v, want 1", got)
	}
	seen := p.LastSeen
	time.Sleep(10 * time.Millisecond)
	if err := wait(t, a.Publish(devices.LockTopic("A", devices.KindState), 1, true, "s")); err != nil {
		t.Fatal(err)
	}
	p, _ = b.LockPresence("A")
	if !p.LastSeen.After(seen) {
		t.Errorf("LastSeen %v not advanced past %v by a publish", p.LastSeen, seen)
	}

	b.SetLockStatus("A", devices.LockStatus{Firmware: "1.2.3", BatteryPercent: 80, Door: "closed", ClockOffset: -time.Second})
	p, _ = b.LockPresence("A")
	if p.Status.Firmware != "1.2.3" || p.Status.BatteryPercent != 80 || p.Status.Door != "closed" {
		t.Errorf("status = %+v", p.Status)
	}

	a.Disconnect(100)
	eventually(t, "offline", func() bool { p, _ := b.LockPresence("A"); return !p.Online })
	p, _ = b.LockPresence("A")
	if p.Connections != 0 || p.DisconnectedAt.Before(p.ConnectedSince) || p.ClientID != "A" {
		t.Errorf("presence after disconnect = %+v", p)
	}
	if got := b.counter(t, "lockhub_mqtt_connections", "kind", "lock"); got != 0 {
		t.Errorf("connections{kind=lock} = %v, want 0", got)
	}
	if all := b.Presence(); len(all) != 1 || all[0].Lock != "A" {
		t.Errorf("Presence() = %+v", all)
	}
}

// A takeover (same client id reconnecting) keeps the lock online.
func TestPresenceTakeover(t *testing.T) {
	b := startBroker(t, devices.BrokerConfig{}, devices.BrokerDeps{})
	addr := b.Addrs().TCP
	var lost chan error
	mustV3(t, addr, "A", &lost)
	mustV3(t, addr, "A", nil)
	select {
	case <-lost:
	case <-time.After(waitFor):
		t.Fatal("first connection not taken over")
	}
	eventually(t, "one connection", func() bool { p, _ := b.LockPresence("A"); return p.Connections == 1 })
	p, _ := b.LockPresence("A")
	if !p.Online || !p.DisconnectedAt.IsZero() {
		t.Errorf("presence after takeover = %+v, want online without a disconnect", p)
	}
}

// A reply goes straight to the requesting connection when it is the res
// topic's only subscriber, and through the broker when someone else reads
// res topics too: both get it.
func TestReplyDirectAndThroughBroker(t *testing.T) {
	rec := &recorder{}
	b := startBroker(t, monitorConfig(), handlerDeps(rec))
	addr := b.Addrs().TCP
	a := mustV3(t, addr, "A", nil)
	res := &inbox{}
	if err := wait(t, a.Subscribe(devices.LockTopic("A", devices.KindRes), 1, res.handler)); err != nil {
		t.Fatal(err)
	}
	want := func(p string) string { return devices.LockTopic("A", devices.KindRes) + " re:" + p }

	if err := wait(t, a.Publish(devices.LockTopic("A", devices.KindReq), 0, false, "one")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "direct reply", func() bool { return res.has(want("one")) })
	if got := b.counter(t, "lockhub_mqtt_replies_total", "path", "direct"); got != 1 {
		t.Errorf("direct replies = %v, want 1", got)
	}

	monClient, err := v3(t, "tcp://"+addr, "integ", "integ", "integ-password", nil)
	if err != nil {
		t.Fatal(err)
	}
	mon := &inbox{}
	if err := wait(t, monClient.Subscribe("lockhub/v1/locks/#", 1, mon.handler)); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, a.Publish(devices.LockTopic("A", devices.KindReq), 0, false, "two")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "reply to the lock and the monitor", func() bool { return res.has(want("two")) && mon.has(want("two")) })
	if got := b.counter(t, "lockhub_mqtt_replies_total", "path", "broker"); got != 1 {
		t.Errorf("broker replies = %v, want 1", got)
	}
	if got := b.counter(t, "lockhub_mqtt_replies_total", "path", "direct"); got != 1 {
		t.Errorf("direct replies = %v after the monitor subscribed, want still 1", got)
	}
	for _, m := range res.all() {
		if q, _ := res.qosOf(m); q != 0 {
			t.Errorf("reply %q at QoS %d, want 0", m, q)
		}
	}
	if n := len(res.all()); n != 2 {
		t.Errorf("lock got %d replies, want 2 (no duplicate from the two paths)", n)
	}

	// Once the other reader is gone, replies go direct again.
	if err := wait(t, monClient.Unsubscribe("lockhub/v1/locks/#")); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, a.Publish(devices.LockTopic("A", devices.KindReq), 0, false, "three")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "third reply", func() bool { return res.has(want("three")) })
	if got := b.counter(t, "lockhub_mqtt_replies_total", "path", "direct"); got != 2 {
		t.Errorf("direct replies = %v after the monitor unsubscribed, want 2", got)
	}
	if mon.has(want("three")) {
		t.Error("the unsubscribed monitor still got a reply")
	}
}
