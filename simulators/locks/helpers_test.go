package locks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices"
	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/simulators/locks"
)

const waitFor = 5 * time.Second

// Test credentials: knownCard and knownPIN are granted; a phone key
// echoPrefix+N is granted with unlock_ms = N (so a test can tell replies
// apart); every other credential is denied as unknown_credential.
const (
	knownCard  = "04:a1:b2:c3"
	knownPIN   = "1234"
	echoPrefix = "echo-unlock-ms-"
)

func echo(n int) string { return echoPrefix + strconv.Itoa(n) }

func derive(label, lock string) []byte {
	m := hmac.New(sha256.New, []byte("locksim test master key"))
	m.Write([]byte(label + "|" + lock))
	return m.Sum(nil)
}

func secretOf(lock string) string { return hex.EncodeToString(derive("secret", lock)) }
func keyOf(lock string) []byte    { return derive("cmd", lock) }

func identity(lock string) locks.Identity {
	return locks.Identity{ID: lock, Secret: secretOf(lock), CommandKey: keyOf(lock)}
}

type evKey struct {
	lock string
	boot uint32
	seq  uint64
}

type stateSeen struct {
	lock   string
	online bool
	boot   uint32
	mode   wire.Mode
}

// testHub is a minimal hub built from the wire codecs: it decides requests
// from a fixed table, answers time requests with a signed time command,
// stores door events once per (lock, boot, seq) and acks every copy, and
// records lock states.
type testHub struct {
	broker *devices.Broker

	dupReplies   atomic.Bool  // reply twice to every access request
	shuffle      atomic.Bool  // reply after a random delay, from another goroutine
	dropAcks     atomic.Int64 // drop this many acks
	ackOff       atomic.Bool  // drop every ack
	silent       atomic.Bool  // answer no request
	delay        atomic.Int64 // answer access requests after this many ns
	requestCount atomic.Int64

	mu       sync.Mutex
	requests []wire.Request
	copies   map[evKey]int // copies of each event received
	stored   map[evKey]wire.DoorEvent
	acked    map[evKey]int
	states   []stateSeen
	badInput int
}

func newTestHub() *testHub {
	return &testHub{copies: map[evKey]int{}, stored: map[evKey]wire.DoorEvent{}, acked: map[evKey]int{}}
}

func (h *testHub) HandleRequest(lock string, payload []byte, _ bool, reply func([]byte)) {
	h.requestCount.Add(1)
	now := time.Now().UnixMilli()
	var r wire.Request
	if err := wire.DecodeRequest(payload, &r); err != nil {
		h.mu.Lock()
		h.badInput++
		h.mu.Unlock()
		reply(wire.AppendError(nil, r.ID, wire.CodeOf(err), err.Error(), now))
		return
	}
	h.mu.Lock()
	h.requests = append(h.requests, r)
	h.mu.Unlock()
	if h.silent.Load() {
		return
	}
	if r.Type == wire.TypeTime {
		c := wire.TimeAnswer(r.Nonce, now)
		if err := wire.SignCommand(keyOf(lock), lock, &c); err != nil {
			panic(err)
		}
		if err := h.broker.SendCommand(lock, wire.AppendCommand(nil, &c)); err != nil {
			panic(err)
		}
		return
	}
	res := wire.AccessResponse{ID: r.ID, Result: wire.ResultDenied, Reason: "unknown_credential", Time: now}
	if n, err := strconv.Atoi(strings.TrimPrefix(r.Credential, echoPrefix)); r.Type == wire.TypePhone && err == nil && n > 0 {
		res.Result, res.Reason, res.UnlockMS = wire.ResultGranted, "allowed", uint32(n)
	} else if r.Credential == knownCard || r.Credential == knownPIN {
		res.Result, res.Reason, res.UnlockMS = wire.ResultGranted, "allowed", 5000
	}
	out := wire.AppendResponse(nil, &res)
	send := func() {
		reply(out)
		if h.dupReplies.Load() {
			reply(out) // a duplicate the lock must ignore
		}
	}
	if d := time.Duration(h.delay.Load()); d > 0 {
		time.AfterFunc(d, send)
		return
	}
	if h.shuffle.Load() {
		go func() {
			time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
			send()
		}()
		return
	}
	send()
}

func (h *testHub) HandleEvent(lock string, payload []byte, ack func([]byte)) {
	var e wire.DoorEvent
	if err := wire.DecodeDoorEvent(payload, &e); err != nil {
		h.mu.Lock()
		h.badInput++
		h.mu.Unlock()
		return
	}
	k := evKey{lock, e.Boot, e.Seq}
	h.mu.Lock()
	h.copies[k]++
	if _, ok := h.stored[k]; !ok {
		h.stored[k] = e
	}
	h.mu.Unlock()
	if h.ackOff.Load() || h.dropAcks.Add(-1) >= 0 {
		return
	}
	h.mu.Lock()
	h.acked[k]++
	h.mu.Unlock()
	ack(wire.AppendAck(nil, &wire.Ack{Boot: e.Boot, Seq: e.Seq}))
}

func (h *testHub) HandleState(lock string, payload []byte) {
	var s wire.LockState
	if err := wire.DecodeLockState(payload, &s); err != nil {
		h.mu.Lock()
		h.badInput++
		h.mu.Unlock()
		return
	}
	h.mu.Lock()
	h.states = append(h.states, stateSeen{lock, s.Online, s.Boot, s.Mode})
	h.mu.Unlock()
}

func (h *testHub) statesOf(lock string, online bool) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, s := range h.states {
		if s.lock == lock && s.online == online {
			n++
		}
	}
	return n
}

// lastState returns the last state the hub got from lock.
func (h *testHub) lastState(lock string) (stateSeen, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.states) - 1; i >= 0; i-- {
		if h.states[i].lock == lock {
			return h.states[i], true
		}
	}
	return stateSeen{}, false
}

// startHub runs a devices.Broker on 127.0.0.1:0 with a testHub and returns
// the broker URL.
func startHub(tb testing.TB) (*testHub, string) {
	tb.Helper()
	h := newTestHub()
	b, err := devices.NewBroker(devices.BrokerConfig{TCP: devices.ListenerConfig{Address: "127.0.0.1:0"}},
		devices.BrokerDeps{
			LockSecret: func(lock string) (string, bool) { return secretOf(lock), true },
			Requests:   h, Events: h, States: h,
		})
	if err != nil {
		tb.Fatalf("NewBroker: %v", err)
	}
	h.broker = b
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	tb.Cleanup(func() {
		// mochi v2.7.9 can deadlock in Server.Close when a client is being
		// removed at the same moment (Clients.GetByListener read-locks
		// twice; mochi-mqtt/server#488). The locks are closed by now (test
		// cleanups run last-in first-out): let the broker finish removing
		// them before it closes.
		deadline := time.Now().Add(waitFor)
		for anyOnline(b) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("broker Run: %v", err)
		}
	})
	return h, "tcp://" + b.Addrs().TCP
}

func anyOnline(b *devices.Broker) bool {
	for _, p := range b.Presence() {
		if p.Online {
			return true
		}
	}
	return false
}

// lockConfig is a lock of the test hub with short timers.
func lockConfig(url, id string, p locks.Protocol) locks.LockConfig {
	return locks.LockConfig{
		Identity:       identity(id),
		BrokerURL:      url,
		Protocol:       p,
		ConnectTimeout: waitFor,
		RequestTimeout: waitFor,
		ReconnectMin:   20 * time.Millisecond,
		ReconnectMax:   100 * time.Millisecond,
	}
}

// startLock connects a lock and closes it at the end of the test.
func startLock(tb testing.TB, cfg locks.LockConfig) *locks.Lock {
	tb.Helper()
	l, err := locks.NewLock(cfg, nil)
	if err != nil {
		tb.Fatalf("NewLock: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := l.Connect(ctx); err != nil {
		tb.Fatalf("Connect %s: %v", cfg.ID, err)
	}
	tb.Cleanup(l.Close)
	return l
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

var protocols = []locks.Protocol{locks.MQTT311, locks.MQTT5}

// signed returns a command signed for lock with key, issued at iat.
func signed(tb testing.TB, key []byte, lock string, c wire.Command) []byte {
	tb.Helper()
	if c.Nonce == "" {
		c.Nonce = wire.NewNonce()
	}
	if err := wire.SignCommand(key, lock, &c); err != nil {
		tb.Fatalf("SignCommand: %v", err)
	}
	return wire.AppendCommand(nil, &c)
}

// lockName is a lock id made from the test's name and a suffix.
func lockName(tb testing.TB, suffix string) string {
	b := []byte(strings.TrimPrefix(tb.Name(), "Test") + "-" + suffix)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	return string(b[:min(len(b), wire.MaxLockIDLen)])
}
