package devices_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	paho5 "github.com/eclipse/paho.golang/paho"
	paho3 "github.com/eclipse/paho.mqtt.golang"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/lockhub/lockhub/devices"
)

// inbox collects messages delivered to a paho 3.1.1 subscription.
type inbox struct {
	mu       sync.Mutex
	msgs     []string // "topic payload", in handler order
	retained []string // the same, for messages delivered with the retain flag
	qos      []byte   // the delivery QoS of each of msgs
}

func (in *inbox) handler(_ paho3.Client, m paho3.Message) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.msgs = append(in.msgs, m.Topic()+" "+string(m.Payload()))
	in.qos = append(in.qos, m.Qos())
	if m.Retained() {
		in.retained = append(in.retained, m.Topic()+" "+string(m.Payload()))
	}
}

// retainedMsgs returns the messages that arrived flagged as retained. The
// test clients run handlers unordered, so a test that asks "was this
// retained?" must look at the flag, not at the arrival order.
func (in *inbox) retainedMsgs() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.retained...)
}

// qosOf returns the delivery QoS of the first message equal to msg.
func (in *inbox) qosOf(msg string) (byte, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if i := slices.Index(in.msgs, msg); i >= 0 {
		return in.qos[i], true
	}
	return 0, false
}

func (in *inbox) has(msg string) bool {
	return slices.Contains(in.all(), msg)
}

func (in *inbox) all() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.msgs...)
}

// recorder is a RequestHandler, EventHandler and StateHandler that records
// calls and answers requests with "re:"+payload and events with "ok:"+payload.
type recorder struct {
	mu    sync.Mutex
	calls []string // "kind lock payload"
}

func (r *recorder) add(kind, lock string, p []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, kind+" "+lock+" "+string(p))
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

func (r *recorder) HandleRequest(lock string, p []byte, _ bool, reply func([]byte)) {
	r.add("req", lock, p)
	reply(append([]byte("re:"), p...))
}

func (r *recorder) HandleEvent(lock string, p []byte, ack func([]byte)) {
	r.add("evt", lock, p)
	ack(append([]byte("ok:"), p...))
}

func (r *recorder) HandleState(lock string, p []byte) { r.add("state", lock, p) }

func handlerDeps(r *recorder) devices.BrokerDeps {
	return devices.BrokerDeps{Requests: r, Events: r, States: r, UserSecret: userSecrets}
}

// monitor is an integration user allowed to read the whole lock tree, used to
// observe what the broker delivers.
func monitorConfig() devices.BrokerConfig {
	return devices.BrokerConfig{Users: []devices.UserConfig{
		{Name: "integ", Subscribe: []string{"lockhub/v1/locks/#"}, Publish: []string{"lockhub/v1/locks/+/cmd", "tools/#"}},
	}}
}

func subscribeMonitor(t *testing.T, addr string) *inbox {
	t.Helper()
	c, err := v3(t, "tcp://"+addr, "integ", "integ", "integ-password", nil)
	if err != nil {
		t.Fatalf("connect monitor: %v", err)
	}
	in := &inbox{}
	if err := wait(t, c.Subscribe("lockhub/v1/locks/#", 1, in.handler)); err != nil {
		t.Fatalf("monitor subscribe: %v", err)
	}
	return in
}

func TestForeignPublishRefusedV3StaysConnected(t *testing.T) {
	rec := &recorder{}
	b := startBroker(t, monitorConfig(), handlerDeps(rec))
	addr := b.Addrs().TCP
	mon := subscribeMonitor(t, addr)
	var lost chan error
	a := mustV3(t, addr, "A", &lost)
	const payload = "card=SECRET-CARD-123"
	for _, kind := range []string{devices.KindReq, devices.KindEvt, devices.KindState} {
		// QoS 1: mochi would disconnect a 3.1.1 client refused by OnACLCheck.
		if err := wait(t, a.Publish(devices.LockTopic("B", kind), 1, false, payload)); err != nil {
			t.Fatalf("publish to B's %s: %v", kind, err)
		}
	}
	if got := b.counter(t, "lockhub_mqtt_acl_refusals_total", "direction", "publish"); got != 3 {
		t.Errorf("publish refusals = %v, want 3", got)
	}
	// The connection is alive: its own request goes through and is handled.
	if err := wait(t, a.Publish(devices.LockTopic("A", devices.KindReq), 1, false, "own")); err != nil {
		t.Fatalf("own publish: %v", err)
	}
	eventually(t, "own request handled", func() bool { return len(rec.all()) == 1 })
	if got := rec.all(); got[0] != "req A own" {
		t.Errorf("handler calls = %q, want only A's own request", got)
	}
	// The monitor reads the whole tree: it sees A's request and the hub's
	// reply, and none of the refused publishes.
	eventually(t, "monitor sees A's request and reply", func() bool { return len(mon.all()) == 2 })
	got := mon.all()
	slices.Sort(got)
	want := []string{devices.LockTopic("A", devices.KindReq) + " own", devices.LockTopic("A", devices.KindRes) + " re:own"}
	if !slices.Equal(got, want) {
		t.Errorf("delivered = %q, want %q", got, want)
	}
	select {
	case err := <-lost:
		t.Fatalf("lock A lost its connection: %v", err)
	default:
	}
	if !a.IsConnected() {
		t.Fatal("lock A disconnected")
	}
	if got := b.counter(t, "lockhub_mqtt_connects_total", "kind", "lock"); got != 1 {
		t.Errorf("lock connects = %v, want 1 (no reconnect)", got)
	}
	logs := b.logs.String()
	if !strings.Contains(logs, "mqtt publish refused") {
		t.Error("refused publish not logged")
	}
	if strings.Contains(logs, "SECRET-CARD") {
		t.Error("a refused payload appears in the log")
	}
}

func TestForeignPublishRefusedV5(t *testing.T) {
	rec := &recorder{}
	b := startBroker(t, devices.BrokerConfig{}, handlerDeps(rec))
	c, _, err := v5(t, b.Addrs().TCP, "A", "A", secretOf("A"), nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	ctx := context.Background()
	pr, err := c.Publish(ctx, &paho5.Publish{Topic: devices.LockTopic("B", devices.KindReq), QoS: 1, Payload: []byte("x")})
	if err == nil || pr == nil || pr.ReasonCode != packets.ErrNotAuthorized.Code {
		t.Fatalf("publish to B's req = %+v, %v; want PUBACK 0x87", pr, err)
	}
	if _, err := c.Publish(ctx, &paho5.Publish{Topic: devices.LockTopic("A", devices.KindState), QoS: 1, Payload: []byte("up")}); err != nil {
		t.Fatalf("own publish after refusal: %v", err)
	}
	eventually(t, "state handled", func() bool { return len(rec.all()) == 1 })
	if got := rec.all(); got[0] != "state A up" {
		t.Errorf("handler calls = %q", got)
	}
}

func TestSubscribeACL(t *testing.T) {
	b := startBroker(t, devices.BrokerConfig{}, devices.BrokerDeps{})
	addr := b.Addrs().TCP
	a := mustV3(t, addr, "A", nil)
	tests := []struct {
		filter string
		ok     bool
	}{
		{devices.LockTopic("A", devices.KindCmd), true},
		{devices.LockTopic("A", devices.KindRes), true},
		{devices.LockTopic("A", devices.KindAck), true},
		{"lockhub/v1/locks/A/#", true},
		{"lockhub/v1/locks/A/+", true},
		{devices.LockTopic("B", devices.KindCmd), false},
		{devices.LockTopic("B", devices.KindRes), false},
		{devices.LockTopic("A", devices.KindReq), false},
		{devices.LockTopic("A", devices.KindState), false},
		{"lockhub/v1/locks/+/cmd", false},
		{"lockhub/v1/locks/#", false},
		{"#", false},
		{"$share/g/lockhub/v1/locks/A/cmd", false},
		{"$share/g/lockhub/v1/locks/B/cmd", false},
		{"$SYS/#", false},
	}
	refusals := 0.0
	for _, tt := range tests {
		tok := a.Subscribe(tt.filter, 1, func(paho3.Client, paho3.Message) {})
		if err := wait(t, tok); err != nil {
			t.Fatalf("subscribe %s: %v", tt.filter, err)
		}
		code := subackCode(tok, tt.filter)
		if got := code != 0x80; got != tt.ok {
			t.Errorf("subscribe %q: SUBACK %#x, allowed = %v, want %v", tt.filter, code, got, tt.ok)
		}
		if !tt.ok {
			refusals++
		}
	}
	if got := b.counter(t, "lockhub_mqtt_acl_refusals_total", "direction", "subscribe"); got != refusals {
		t.Errorf("subscribe refusals = %v, want %v", got, refusals)
	}
	if !a.IsConnected() {
		t.Fatal("refused subscriptions disconnected the lock")
	}

	// MQTT 5: SUBACK 0x87 per refused filter.
	c, _, err := v5(t, addr, "B", "B", secretOf("B"), nil)
	if err != nil {
		t.Fatal(err)
	}
	sa, err := c.Subscribe(context.Background(), &paho5.Subscribe{Subscriptions: []paho5.SubscribeOptions{
		{Topic: devices.LockTopic("A", devices.KindCmd), QoS: 1},
		{Topic: devices.LockTopic("B", devices.KindCmd), QoS: 1},
	}})
	if sa == nil {
		t.Fatalf("subscribe v5: %v", err)
	}
	if len(sa.Reasons) != 2 || sa.Reasons[0] != packets.ErrNotAuthorized.Code || sa.Reasons[1] != 1 {
		t.Errorf("SUBACK reasons = %#v, want [0x87 0x01]", sa.Reasons)
	}
}

// subackCode returns the SUBACK code paho recorded for filter (paho keys
// shared subscriptions by the filter without "$share/<group>/").
func subackCode(tok paho3.Token, filter string) byte {
	if rest, ok := strings.CutPrefix(filter, "$share/"); ok {
		_, filter, _ = strings.Cut(rest, "/")
	}
	return tok.(*paho3.SubscribeToken).Result()[filter]
}

// A lock subscribed to its whole subtree receives only what it may read.
func TestWildcardOwnSubtreeDeliveryFiltered(t *testing.T) {
	b := startBroker(t, devices.BrokerConfig{}, devices.BrokerDeps{})
	addr := b.Addrs().TCP
	a := mustV3(t, addr, "A", nil)
	in := &inbox{}
	if err := wait(t, a.Subscribe("lockhub/v1/locks/A/#", 1, in.handler)); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, a.Publish(devices.LockTopic("A", devices.KindState), 1, false, "mine")); err != nil {
		t.Fatal(err)
	}
	if err := b.SendCommand("A", []byte("open")); err != nil {
		t.Fatalf("SendCommand: %v", err)
	}
	eventually(t, "command delivered", func() bool { return len(in.all()) > 0 })
	if got := in.all(); len(got) != 1 || got[0] != devices.LockTopic("A", devices.KindCmd)+" open" {
		t.Errorf("delivered = %q, want only the command (not A's own state)", got)
	}
}

func TestRetainedRefusedOnRequestAndCommandTopics(t *testing.T) {
	b := startBroker(t, monitorConfig(), devices.BrokerDeps{UserSecret: userSecrets})
	addr := b.Addrs().TCP
	a := mustV3(t, addr, "A", nil)
	if err := wait(t, a.Publish(devices.LockTopic("A", devices.KindReq), 1, true, "retained-req")); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, a.Publish(devices.LockTopic("A", devices.KindState), 1, true, "retained-state")); err != nil {
		t.Fatal(err)
	}
	integ, err := v3(t, "tcp://"+addr, "integ/pub", "integ", "integ-password", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The integration may publish commands, but not retain one.
	if err := wait(t, integ.Publish(devices.LockTopic("A", devices.KindCmd), 1, true, "planted")); err != nil {
		t.Fatal(err)
	}
	if got := b.counter(t, "lockhub_mqtt_acl_refusals_total", "direction", "publish"); got != 2 {
		t.Errorf("publish refusals = %v, want 2 (retained req, retained cmd)", got)
	}
	if !a.IsConnected() || !integ.IsConnected() {
		t.Fatal("a refused retained publish disconnected its sender")
	}

	// A fresh subscriber to the whole tree gets only the retained state.
	// The hub's command is sent after subscribing: it must arrive live, and
	// nothing refused may arrive at all, retained or not.
	mon := subscribeMonitor(t, addr)
	tool, err := v3(t, "tcp://"+addr, "A/tool", "A", secretOf("A"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cmds := &inbox{}
	if err := wait(t, tool.Subscribe(devices.LockTopic("A", devices.KindCmd), 1, cmds.handler)); err != nil {
		t.Fatal(err)
	}
	if err := b.SendCommand("A", []byte("fresh")); err != nil {
		t.Fatal(err)
	}
	fresh := devices.LockTopic("A", devices.KindCmd) + " fresh"
	eventually(t, "fresh command", func() bool { return cmds.has(fresh) })
	eventually(t, "monitor messages", func() bool { return mon.has(fresh) && len(mon.retainedMsgs()) > 0 })
	if got := cmds.retainedMsgs(); len(got) != 0 {
		t.Errorf("command subscriber got retained %q, want nothing retained on cmd", got)
	}
	if got, want := mon.retainedMsgs(), []string{devices.LockTopic("A", devices.KindState) + " retained-state"}; !slices.Equal(got, want) {
		t.Errorf("monitor's retained messages = %q, want only %q", got, want)
	}
	for _, m := range append(mon.all(), cmds.all()...) {
		if strings.Contains(m, "retained-req") || strings.Contains(m, "planted") {
			t.Errorf("refused retained message delivered: %q", m)
		}
	}

	// The hub's own command is not retained either.
	tool2, err := v3(t, "tcp://"+addr, "A/tool2", "A", secretOf("A"), nil)
	if err != nil {
		t.Fatal(err)
	}
	late := &inbox{}
	if err := wait(t, tool2.Subscribe(devices.LockTopic("A", devices.KindCmd), 1, late.handler)); err != nil {
		t.Fatal(err)
	}
	if err := b.SendCommand("A", []byte("second")); err != nil {
		t.Fatal(err)
	}
	second := devices.LockTopic("A", devices.KindCmd) + " second"
	eventually(t, "second command", func() bool { return late.has(second) })
	if got := late.retainedMsgs(); len(got) != 0 {
		t.Errorf("late subscriber got retained %q: the hub's command was retained", got)
	}
}

func TestIntegrationUserLimitedToFilters(t *testing.T) {
	cfg := devices.BrokerConfig{Users: []devices.UserConfig{
		{Name: "integ", Subscribe: []string{"lockhub/v1/locks/+/evt"}, Publish: []string{"tools/#"}},
		{Name: "mon", Subscribe: []string{"tools/#", "lockhub/v1/locks/+/cmd"}},
	}}
	secrets := func(name string) (string, bool) { return name + "-password", name == "integ" || name == "mon" }
	b := startBroker(t, cfg, devices.BrokerDeps{UserSecret: secrets})
	addr := "tcp://" + b.Addrs().TCP
	integ, err := v3(t, addr, "integ", "integ", "integ-password", nil)
	if err != nil {
		t.Fatal(err)
	}
	mon, err := v3(t, addr, "mon", "mon", "mon-password", nil)
	if err != nil {
		t.Fatal(err)
	}
	for filter, want := range map[string]bool{
		"lockhub/v1/locks/+/evt": true,
		"lockhub/v1/locks/A/evt": true,
		"lockhub/v1/locks/+/req": false,
		"lockhub/v1/locks/#":     false,
		"#":                      false,
		"tools/#":                false,
	} {
		tok := integ.Subscribe(filter, 1, func(paho3.Client, paho3.Message) {})
		if err := wait(t, tok); err != nil {
			t.Fatal(err)
		}
		code := subackCode(tok, filter)
		if got := code != 0x80; got != want {
			t.Errorf("integ subscribe %q: allowed = %v, want %v", filter, got, want)
		}
	}
	evts, tools := &inbox{}, &inbox{}
	if err := wait(t, integ.Subscribe("lockhub/v1/locks/+/evt", 1, evts.handler)); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, mon.Subscribe("tools/#", 1, tools.handler)); err != nil {
		t.Fatal(err)
	}
	cmds := &inbox{}
	if err := wait(t, mon.Subscribe("lockhub/v1/locks/+/cmd", 1, cmds.handler)); err != nil {
		t.Fatal(err)
	}
	// Allowed publish is delivered; a command outside its filters is not.
	if err := wait(t, integ.Publish(devices.LockTopic("A", devices.KindCmd), 1, false, "forged")); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, integ.Publish("tools/x", 1, false, "hello")); err != nil {
		t.Fatal(err)
	}
	a := mustV3(t, b.Addrs().TCP, "A", nil)
	if err := wait(t, a.Publish(devices.LockTopic("A", devices.KindEvt), 1, false, "door")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deliveries", func() bool { return len(tools.all()) == 1 && len(evts.all()) == 1 })
	if got := evts.all()[0]; got != devices.LockTopic("A", devices.KindEvt)+" door" {
		t.Errorf("integ got %q", got)
	}
	if err := b.SendCommand("A", []byte("real")); err != nil {
		t.Fatal(err)
	}
	real := devices.LockTopic("A", devices.KindCmd) + " real"
	eventually(t, "real command", func() bool { return cmds.has(real) })
	if q, _ := cmds.qosOf(real); q != 1 {
		t.Errorf("command delivered at QoS %d, want 1 (docs/protocol.md §2)", q)
	}
	if got := cmds.all(); !slices.Equal(got, []string{real}) {
		t.Errorf("mon saw commands %q, want only the hub's (the forged one was delivered)", got)
	}
	if got := b.counter(t, "lockhub_mqtt_acl_refusals_total", "direction", "publish"); got != 1 {
		t.Errorf("publish refusals = %v, want 1", got)
	}
}

func TestWillChecked(t *testing.T) {
	rec := &recorder{}
	b := startBroker(t, devices.BrokerConfig{}, handlerDeps(rec))
	addr := b.Addrs().TCP
	withWill := func(lock, topic string) packets.ConnectParams {
		return packets.ConnectParams{
			ClientIdentifier: lock, Username: []byte(lock), Password: []byte(secretOf(lock)), Keepalive: 30,
			WillFlag: true, WillTopic: topic, WillPayload: []byte("offline"), WillQos: 1, WillRetain: true,
		}
	}
	for _, topic := range []string{devices.LockTopic("B", devices.KindState), devices.LockTopic("A", devices.KindCmd)} {
		if _, rc := rawConnect(t, addr, withWill("A", topic)); rc != 5 {
			t.Errorf("will on %s: CONNACK %d, want 5 (not authorized)", topic, rc)
		}
	}
	if got := b.counter(t, "lockhub_mqtt_auth_failures_total", "reason", "bad_will"); got != 2 {
		t.Errorf("bad_will failures = %v, want 2", got)
	}
	conn, rc := rawConnect(t, addr, withWill("A", devices.LockTopic("A", devices.KindState)))
	if rc != 0 {
		t.Fatalf("own state will: CONNACK %d, want 0", rc)
	}
	eventually(t, "A online", func() bool { p, _ := b.LockPresence("A"); return p.Online })
	conn.Close() // no DISCONNECT: the broker publishes the will
	eventually(t, "will handled", func() bool { return len(rec.all()) == 1 })
	if got := rec.all()[0]; got != "state A offline" {
		t.Errorf("state handler got %q, want the will", got)
	}
	eventually(t, "A offline", func() bool { p, _ := b.LockPresence("A"); return !p.Online })
}
