package upload_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/simulators/upstream"
	"github.com/lockhub/lockhub/sync/upload"
	"github.com/prometheus/client_golang/prometheus"
)

// Compile-time guards: the event log is what the uploader and the
// retention job consume.
var (
	_ upload.Outbox   = (*events.Log)(nil)
	_ upload.Retainer = (*events.Log)(nil)
)

const (
	testToken = "upload-test-token"
	testHub   = "hub-test"
	testEpoch = "epoch-1"
)

// loopbackClient refuses to dial anything but 127.0.0.1, so a test can never
// reach a real upstream.
func loopbackClient() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil || host != "127.0.0.1" {
				return nil, fmt.Errorf("test dial to %q refused: loopback only", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 4,
	}
	return &http.Client{Transport: tr}
}

// clock is a settable hub clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock    { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }
func logConfig(root string) events.Config {
	return events.Config{Dir: filepath.Join(root, "events"), KeysDir: filepath.Join(root, "events-keys"), Epoch: testEpoch}
}

func openLog(tb testing.TB, cfg events.Config) *events.Log {
	tb.Helper()
	l, err := events.Open(cfg)
	if err != nil {
		tb.Fatalf("open log: %v", err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// person returns the personal fields of event i (distinct, greppable).
func person(i int) events.Personal {
	return events.Personal{
		Name: fmt.Sprintf("Person Zq%05d", i), Email: fmt.Sprintf("zq%05d@example.org", i),
		CredentialRef: fmt.Sprintf("card…ZQ%05d", i),
	}
}

func decision(i int) *events.Event {
	return &events.Event{
		Type: events.TypeDecision, Time: time.Date(2025, 3, 1, 10, 0, i%60, 0, time.UTC),
		Lock: "front-door", RequestID: fmt.Sprintf("req-%d", i), Domain: "office", Member: fmt.Sprintf("m-%d", i%97),
		Allowed: true, Reason: policy.ReasonAllowed, Credential: policy.CredCard,
		Grant:    policy.GrantKey{Origin: policy.OriginNexudusREST, Kind: policy.KindBooking, Reference: fmt.Sprintf("bk-%d", i)},
		Access:   "acc-1",
		Personal: person(i),
	}
}

// appendN appends n events from index from (decisions, every 10th a door
// event) from 4 goroutines and returns their seqs.
func appendN(tb testing.TB, l *events.Log, from, n int) {
	tb.Helper()
	var wg sync.WaitGroup
	var failed atomic.Bool
	for w := range 4 {
		wg.Go(func() {
			for i := from + w; i < from+n; i += 4 {
				ev := decision(i)
				if i%10 == 0 {
					ev = &events.Event{Type: events.TypeDoor, Lock: "garage", Boot: 3, LockSeq: uint64(i),
						DoorKind: "opened", HasBattery: true, Battery: 80, Domain: "office"}
				}
				if _, err := l.Append(context.Background(), ev); err != nil {
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() {
		tb.Fatal("append failed")
	}
}

// logBuf collects log lines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}
func (l *logBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// rig is an uploader wired to a real log and a real sink over HTTP.
type rig struct {
	log     *events.Log
	sink    *upstream.Sink
	srv     *httptest.Server
	up      *upload.Uploader
	reg     *prometheus.Registry
	logs    *logBuf
	mu      sync.Mutex
	sleeps  []time.Duration
	onSleep func(n int) // called after each recorded sleep
}

func newSink(tb testing.TB, keep bool) (*upstream.Sink, *httptest.Server) {
	tb.Helper()
	s := upstream.New(upstream.Config{Token: testToken, KeepEvents: keep})
	srv := httptest.NewServer(s)
	tb.Cleanup(srv.Close)
	return s, srv
}

func newRig(tb testing.TB, l *events.Log, keep bool, mod func(*upload.Config, *upload.Deps)) *rig {
	tb.Helper()
	r := &rig{log: l, reg: prometheus.NewRegistry(), logs: &logBuf{}}
	r.sink, r.srv = newSink(tb, keep)
	r.up = r.uploader(tb, mod)
	return r
}

func (r *rig) uploader(tb testing.TB, mod func(*upload.Config, *upload.Deps)) *upload.Uploader {
	tb.Helper()
	cfg := upload.Config{URL: r.srv.URL + "/v1/events", Token: testToken, HubID: testHub, Epoch: testEpoch}
	deps := upload.Deps{
		Outbox: r.log, Client: loopbackClient(), Registerer: r.reg,
		Logger: slog.New(slog.NewTextHandler(r.logs, nil)),
		Jitter: func() float64 { return 0.5 },
		Sleep: func(ctx context.Context, d time.Duration) error {
			r.mu.Lock()
			r.sleeps = append(r.sleeps, d)
			n := len(r.sleeps)
			f := r.onSleep
			r.mu.Unlock()
			if f != nil {
				f(n)
			}
			return ctx.Err()
		},
	}
	if mod != nil {
		mod(&cfg, &deps)
	}
	u, err := upload.New(cfg, deps)
	if err != nil {
		tb.Fatalf("upload.New: %v", err)
	}
	return u
}

func (r *rig) slept() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.sleeps...)
}

// metric reads one series from the registry by name and optional label
// value.
func (r *rig) metric(tb testing.TB, name, label string) float64 {
	tb.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			}
		}
	}
	tb.Fatalf("metric %s{%s} not found", name, label)
	return 0
}

// checkComplete fails unless the sink holds seqs 1..last of the test
// stream exactly once, with nothing missing.
func checkComplete(tb testing.TB, s *upstream.Sink, last uint64) upstream.Report {
	tb.Helper()
	rep := s.Report()
	if len(rep.Streams) != 1 {
		tb.Fatalf("sink streams = %+v, want one", rep.Streams)
	}
	st := rep.Streams[0]
	if st.Hub != testHub || st.Epoch != testEpoch || st.FirstSeq != 1 || st.LastSeq != last ||
		st.Unique != int(last) || len(st.Missing) != 0 || rep.Duplicates != 0 {
		tb.Fatalf("sink holds %+v (duplicates %d), want 1..%d once, nothing missing", st, rep.Duplicates, last)
	}
	return rep
}
