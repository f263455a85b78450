package hub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/policy"
)

// adminSiteYAML is a one-domain site on free ports in dir, with no Nexudus.
func adminSiteYAML(dir string) string {
	return fmt.Sprintf(`site:
  id: admin-test
  data_dir: %s
domains:
  - id: hq
    zone: Europe/Stockholm
locks:
  - id: front-door
    domain: hq
  - id: garage
    domain: hq
keys:
  - id: office
    domain: hq
    locks: [front-door, garage]
  - id: weekdays
    domain: hq
    locks: [front-door]
    schedule:
      - days: [mon-fri]
        from: "08:00"
        until: "18:00"
members:
  - id: alice
    domain: hq
    cards: ["04A1B2C3"]
  - id: bob
    domain: hq
    cards: ["0B0B0B0B"]
    pin: "4711"
grants:
  - member: alice
    key: office
  - member: bob
    key: weekdays
mqtt:
  listeners:
    tcp:
      address: 127.0.0.1:0
http:
  address: 127.0.0.1:0
`, dir)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type adminFixture struct {
	h    *Hub
	srv  *httptest.Server
	logs *syncBuffer
	dir  string
	cfg  *Config
}

func loadTestConfig(tb testing.TB, y string) *Config {
	tb.Helper()
	c, err := LoadConfig(strings.NewReader(y))
	if err != nil {
		tb.Fatalf("LoadConfig: %v", err)
	}
	return c
}

// newAdminFixture opens a real hub in a temp dir (logs captured at debug
// level) and serves its admin routes on a plain mux over real HTTP.
func newAdminFixture(tb testing.TB) *adminFixture {
	tb.Helper()
	f := &adminFixture{logs: &syncBuffer{}, dir: tb.TempDir()}
	f.cfg = loadTestConfig(tb, adminSiteYAML(f.dir))
	h, err := New(f.cfg, Deps{Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { h.Close() })
	f.h = h
	mux := http.NewServeMux()
	for _, rt := range h.adminRoutes() {
		mux.HandleFunc(rt.Method+" "+rt.Path, rt.Handler)
	}
	f.srv = httptest.NewServer(mux)
	tb.Cleanup(f.srv.Close)
	return f
}

// call sends a request with a JSON body (a string is sent as it is) and
// returns the status and the body.
func (f *adminFixture) call(tb testing.TB, method, path string, body any) (int, []byte) {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(tb.Context(), method, f.srv.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set(ActorHeader, "ops-anna")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// mustCall is call with an expected status, decoding the answer into out.
func (f *adminFixture) mustCall(tb testing.TB, method, path string, body any, want int, out any) []byte {
	tb.Helper()
	code, b := f.call(tb, method, path, body)
	if code != want {
		tb.Fatalf("%s %s: status %d, want %d; body %s", method, path, code, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

// adminActions returns the actions of the admin events in the log, oldest
// first, with their actors.
func adminActions(tb testing.TB, h *Hub) []events.Event {
	tb.Helper()
	recent, err := h.Events().Recent(1000)
	if err != nil {
		tb.Fatal(err)
	}
	var out []events.Event
	for i := len(recent) - 1; i >= 0; i-- {
		if recent[i].Type == events.TypeAdmin {
			out = append(out, recent[i])
		}
	}
	return out
}

func hasAction(evs []events.Event, action, actor string) bool {
	for _, e := range evs {
		if e.Action == action && e.Actor == actor {
			return true
		}
	}
	return false
}

// cardReq asks for a lock with a raw card value, digested by h's key.
func cardReq(tb testing.TB, h *Hub, lock, card string) policy.Request {
	tb.Helper()
	c, err := h.Keys().Digest(policy.CredCard, card)
	if err != nil {
		tb.Fatal(err)
	}
	return policy.Request{Lock: lock, Credential: c}
}

// monday10 is a Monday, 10:00 in Stockholm.
var monday10 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
