package events

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/lockhub/lockhub/policy"
)

// testClock is a settable hub clock.
type testClock struct{ ns atomic.Int64 }

func newClock(t time.Time) *testClock {
	c := &testClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *testClock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *testClock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// testConfig returns a config whose dirs live under root, with a stage
// (in root too: its semantics do not depend on the filesystem, only its
// speed does) as a hub has by default.
func testConfig(root string) Config {
	return Config{
		Dir:      filepath.Join(root, "events"),
		KeysDir:  filepath.Join(root, "events-keys"),
		Epoch:    "epoch-1",
		StageDir: filepath.Join(root, "stage"),
	}
}

func openLog(tb testing.TB, cfg Config) *Log {
	tb.Helper()
	l, err := Open(cfg)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

func mustAppend(tb testing.TB, l *Log, ev *Event) uint64 {
	tb.Helper()
	seq, err := l.Append(context.Background(), ev)
	if err != nil {
		tb.Fatalf("Append(%s): %v", ev.Type, err)
	}
	return seq
}

func decisionEvent(i int) *Event {
	return &Event{
		Type: TypeDecision, Time: time.Date(2025, 3, 1, 10, 0, i%60, 0, time.UTC),
		Lock: "front-door", RequestID: "req-" + itoa(i), Domain: "office", Member: "m-" + itoa(i%7),
		Allowed: true, Reason: policy.ReasonAllowed, Credential: policy.CredCard,
		Grant:  policy.GrantKey{Origin: policy.OriginNexudusREST, Kind: policy.KindBooking, Reference: "bk-" + itoa(i)},
		Access: "acc-1",
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}

// peekAll reads the whole outbox.
func peekAll(tb testing.TB, l *Log) []Event {
	tb.Helper()
	evs, err := l.Peek(0, 1<<30, 0)
	if err != nil {
		tb.Fatalf("Peek: %v", err)
	}
	return evs
}

type badgerTxn = badger.Txn
