package nexudus_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockhub/lockhub/simulators/nexudus"
)

// clock is a movable injected clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var t0 = time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC)

type sim struct {
	*nexudus.Server
	clock *clock
	url   string
	token string
	tb    testing.TB
}

// newSim starts a fake on 127.0.0.1 with an injected clock at t0 and (unless
// cfg.Limits is set) the throttle off, and gets a token.
func newSim(tb testing.TB, cfg nexudus.Config) *sim {
	tb.Helper()
	c := newClock(t0)
	cfg.Now = c.Now
	if cfg.Limits == nil {
		cfg.ThrottleOff = true
	}
	s := nexudus.New(cfg)
	hs := httptest.NewServer(s.Handler())
	tb.Cleanup(hs.Close)
	sm := &sim{Server: s, clock: c, url: hs.URL, tb: tb}
	if _, err := s.AddBusiness("Harbour Works", "Europe/Stockholm"); err != nil {
		tb.Fatalf("AddBusiness: %v", err)
	}
	sm.token = sm.grant(tb, url.Values{"grant_type": {"password"}, "username": {"admin@example.org"}, "password": {"secret"}})["access_token"].(string)
	return sm
}

// grant posts a form to /api/token and decodes the answer; it fails the
// test unless the status is 200.
func (sm *sim) grant(tb testing.TB, form url.Values) map[string]any {
	tb.Helper()
	status, body := sm.postForm(tb, form)
	if status != http.StatusOK {
		tb.Fatalf("token grant: status %d: %s", status, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		tb.Fatalf("decode token: %v", err)
	}
	return m
}

func (sm *sim) postForm(tb testing.TB, form url.Values) (int, []byte) {
	tb.Helper()
	resp, err := http.Post(sm.url+"/api/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatalf("post token: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// get does an authenticated GET of path (with query) and returns the status,
// headers and body.
func (sm *sim) get(tb testing.TB, path string) (int, http.Header, []byte) {
	tb.Helper()
	return sm.getWith(tb, path, "Bearer "+sm.token)
}

func (sm *sim) getWith(tb testing.TB, path, authz string) (int, http.Header, []byte) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, sm.url+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	return resp.StatusCode, resp.Header, b
}

type envelope struct {
	Records              []map[string]any
	CurrentPage          int
	CurrentPageSize      int
	CurrentOrderField    string
	CurrentSortDirection int
	FirstItem            int
	LastItem             int
	TotalItems           int
	TotalPages           int
	HasNextPage          bool
	HasPreviousPage      bool
}

// list GETs a list path and decodes the envelope; it fails unless 200.
func (sm *sim) list(tb testing.TB, path string) envelope {
	tb.Helper()
	status, _, body := sm.get(tb, path)
	if status != http.StatusOK {
		tb.Fatalf("GET %s: status %d: %s", path, status, body)
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		tb.Fatalf("decode %s: %v: %s", path, err, body)
	}
	return env
}

// listAll pages through path with HasNextPage and returns every record.
func (sm *sim) listAll(tb testing.TB, path string) []map[string]any {
	tb.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var out []map[string]any
	for page := 1; ; page++ {
		env := sm.list(tb, path+sep+"page="+itoa(page))
		out = append(out, env.Records...)
		if !env.HasNextPage {
			return out
		}
		if page > 10000 {
			tb.Fatal("paging does not end")
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func ids(recs []map[string]any) []int {
	out := make([]int, len(recs))
	for i, r := range recs {
		out[i] = int(r["Id"].(float64))
	}
	return out
}

// id fails the test on err and returns id, for the mutators' (int, error).
func (sm *sim) id(id int, err error) int {
	sm.tb.Helper()
	if err != nil {
		sm.tb.Fatal(err)
	}
	return id
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
