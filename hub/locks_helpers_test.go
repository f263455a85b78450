package hub_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/simulators/locks"
)

// Credentials of the lock site (lockSiteYAML).
const (
	siteAliceCard = "04:a1:b2:c3" // alice, granted at front-door and side-door
	siteAlicePIN  = "482910"
	siteBobCard   = "0B0B0B0B"   // bob: a member without a grant
	siteNoCard    = "0xDEADBEEF" // nobody's card
	siteWrongPIN  = "111111"     // nobody's PIN
)

// lockSiteYAML is a site with three locks: front-door and side-door behind
// alice's key, back-door behind no key. The keypad locks out after 3 wrong
// PINs for a minute. durability is "process" or "disk".
func lockSiteYAML(dir, durability string) string {
	return fmt.Sprintf(`site:
  id: lock-e2e
  data_dir: %s
  durability: %s
domains:
  - id: hq
    zone: Europe/Stockholm
locks:
  - id: front-door
    domain: hq
  - id: side-door
    domain: hq
  - id: back-door
    domain: hq
keys:
  - id: office
    domain: hq
    locks: [front-door, side-door]
members:
  - id: alice
    domain: hq
    cards: ["04A1B2C3"]
    pin: "%s"
  - id: bob
    domain: hq
    cards: ["%s"]
grants:
  - member: alice
    key: office
mqtt:
  listeners:
    tcp:
      address: 127.0.0.1:0
  keypad:
    max_failures: 3
    window: 1m
    lockout: 1m
http:
  address: 127.0.0.1:0
`, dir, durability, siteAlicePIN, siteBobCard)
}

// simIdentity is the provisioned identity of lock id on h.
func simIdentity(h *hub.Hub, id string) locks.Identity {
	return locks.Identity{
		ID:         id,
		Secret:     h.Keys().LockSecret(id, hub.DefaultKeyGeneration),
		CommandKey: h.Keys().LockCommandKey(id, hub.DefaultKeyGeneration),
	}
}

// newSimLock builds a simulated lock for addr (host:port) without
// connecting it; it is closed at the end of the test. opts adjust its config.
func newSimLock(t testing.TB, addr string, id locks.Identity, proto locks.Protocol, opts ...func(*locks.LockConfig)) *locks.Lock {
	t.Helper()
	cfg := locks.LockConfig{
		Identity:       id,
		BrokerURL:      "tcp://" + addr,
		Protocol:       proto,
		ConnectTimeout: 5 * time.Second,
		RequestTimeout: 5 * time.Second,
		ReconnectMin:   50 * time.Millisecond,
		ReconnectMax:   200 * time.Millisecond,
		EventResend:    200 * time.Millisecond,
		EventResendMax: time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	l, err := locks.NewLock(cfg, nil)
	if err != nil {
		t.Fatalf("NewLock %s: %v", id.ID, err)
	}
	t.Cleanup(l.Close)
	return l
}

// connectSimLock builds and connects a simulated lock of h.
func connectSimLock(t testing.TB, h *hub.Hub, id string, proto locks.Protocol) *locks.Lock {
	t.Helper()
	l := newSimLock(t, h.Broker().Addrs().TCP, simIdentity(h, id), proto)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Connect(ctx); err != nil {
		t.Fatalf("connect %s over %v: %v", id, proto, err)
	}
	return l
}

// tap presents a credential at l and fails the test on a transport error.
func tap(t testing.TB, l *locks.Lock, typ wire.RequestType, cred string) locks.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, _, err := l.Tap(ctx, typ, cred)
	if err != nil {
		t.Fatalf("tap at %s: %v", l.ID(), err)
	}
	return r
}

// rawLock is a bare MQTT 3.1.1 connection of a lock (client id
// "<lock>/raw"), publishing arbitrary payloads to its req topic and
// collecting every payload on its res topic, decodable or not.
type rawLock struct {
	id  string
	c   paho.Client
	res chan []byte
	mu  sync.Mutex
	n   int
}

func connectRaw(t testing.TB, h *hub.Hub, lock string) *rawLock {
	t.Helper()
	rl := &rawLock{id: lock, res: make(chan []byte, 64)}
	opts := paho.NewClientOptions().AddBroker("tcp://" + h.Broker().Addrs().TCP).
		SetClientID(lock + "/raw").SetUsername(lock).
		SetPassword(h.Keys().LockSecret(lock, hub.DefaultKeyGeneration)).
		SetAutoReconnect(false).SetConnectRetry(false).SetKeepAlive(30 * time.Second)
	rl.c = paho.NewClient(opts)
	if tok := rl.c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s/raw: %v", lock, tok.Error())
	}
	t.Cleanup(func() { rl.c.Disconnect(100) })
	tok := rl.c.Subscribe(wire.Topic(lock, wire.KindRes), 1, func(_ paho.Client, m paho.Message) {
		rl.res <- append([]byte(nil), m.Payload()...)
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s/raw: %v", lock, tok.Error())
	}
	return rl
}

// send publishes p on the lock's req topic and returns the next reply
// (the lock's other connections' replies arrive on res too: only tests with
// none may use it directly).
func (rl *rawLock) send(t testing.TB, p []byte) []byte {
	t.Helper()
	rl.publish(t, p)
	return rl.next(t)
}

func (rl *rawLock) publish(t testing.TB, p []byte) {
	t.Helper()
	if tok := rl.c.Publish(wire.Topic(rl.id, wire.KindReq), 0, false, p); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish request: %v", tok.Error())
	}
}

func (rl *rawLock) next(t testing.TB) []byte {
	t.Helper()
	select {
	case r := <-rl.res:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no reply from the hub")
	}
	return nil
}

// request sends a well-formed request with a fresh id and returns the
// decoded reply with that id, skipping replies to other connections.
func (rl *rawLock) request(t testing.TB, typ wire.RequestType, cred string) wire.AccessResponse {
	t.Helper()
	rl.mu.Lock()
	rl.n++
	id := fmt.Sprintf("raw-%d", rl.n)
	rl.mu.Unlock()
	rl.publish(t, wire.AppendRequest(nil, &wire.Request{ID: id, Type: typ, Credential: cred}))
	for {
		var r wire.AccessResponse
		if err := wire.DecodeResponse(rl.next(t), &r); err != nil {
			t.Fatalf("hub reply does not decode: %v", err)
		}
		if r.ID == id {
			return r
		}
	}
}

// poll waits until cond holds, failing after d.
func poll(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// decisionEvent finds the stored decision of lock with request id among the
// newest events of log.
func decisionEvent(t testing.TB, log *events.Log, lock, id string) (events.Event, bool) {
	t.Helper()
	evs, err := log.Recent(1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == events.TypeDecision && e.Lock == lock && e.RequestID == id {
			return e, true
		}
	}
	return events.Event{}, false
}
