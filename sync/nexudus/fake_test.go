package nexudus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockhub/lockhub/internal/backoff"
	"github.com/lockhub/lockhub/sync/nexudus"
)

// fakeClock is the clock the client runs on in these tests: Sleep records
// the delay and advances time at once.
type fakeClock struct {
	mu       sync.Mutex
	now      time.Time
	budget   []time.Duration // waits for the request budget
	backoffs []time.Duration // retry delays
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Sleep is the client's clock (request budget waits).
func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	return f.sleep(ctx, d, &f.budget)
}

// BackoffSleep is the retry backoff's clock.
func (f *fakeClock) BackoffSleep(ctx context.Context, d time.Duration) error {
	return f.sleep(ctx, d, &f.backoffs)
}

func (f *fakeClock) sleep(ctx context.Context, d time.Duration, rec *[]time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	*rec = append(*rec, d)
	f.now = f.now.Add(d)
	return nil
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// Slept returns the retry delays so far.
func (f *fakeClock) Slept() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.backoffs)
}

// fault is a canned answer the fake gives to the next API request.
type fault struct {
	status     int
	retryAfter string
}

// fakeNexudus is an httptest server that follows nexudus.md §3: the form
// token endpoint, bearer checks, the list envelope with page/size, equality
// and from_/to_ filters, and canned throttling and server errors. Records
// are hand-written JSON maps, independent of the package's DTOs.
type fakeNexudus struct {
	t   testing.TB
	srv *httptest.Server

	mu          sync.Mutex
	username    string
	password    string
	expiresIn   int
	tokenDelay  time.Duration
	failRefresh bool
	access      map[string]bool   // valid access tokens
	refresh     map[string]string // valid refresh token → client_id
	seq         int
	grants      []url.Values // token request forms, in order
	apiCalls    []apiCall
	faults      []fault
	entities    map[string][]map[string]any // path → records
	raw         map[string]func(w http.ResponseWriter, r *http.Request)
	checkins    []map[string]any
}

type apiCall struct {
	method, path string
	query        url.Values
	status       int
}

func newFakeNexudus(t testing.TB) *fakeNexudus {
	t.Helper()
	f := &fakeNexudus{
		t: t, username: "admin@example.org", password: "correct horse", expiresIn: 3600,
		access: map[string]bool{}, refresh: map[string]string{},
		entities: map[string][]map[string]any{}, raw: map[string]func(http.ResponseWriter, *http.Request){},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a Client on fake time talking to f. Limits are generous
// unless cfg sets them.
func (f *fakeNexudus) client(t testing.TB, clk *fakeClock, cfg nexudus.Config) *nexudus.Client {
	t.Helper()
	cfg.BaseURL = f.srv.URL
	if cfg.Username == "" {
		cfg.Username = f.username
	}
	if cfg.Password == "" {
		cfg.Password = f.password
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "6f1c2a8e-hub-client"
	}
	if cfg.RequestsPerMinute == 0 {
		cfg.RequestsPerMinute = 1e6
	}
	if cfg.Burst == 0 {
		cfg.Burst = 1000
	}
	if cfg.WritesPerSecond == 0 {
		cfg.WritesPerSecond = 1e3
	}
	cfg.Now, cfg.Sleep = clk.Now, clk.Sleep
	if cfg.Backoff.Sleep == nil {
		cfg.Backoff.Sleep = clk.BackoffSleep
	}
	if cfg.Backoff.Jitter == nil {
		cfg.Backoff.Jitter = func() float64 { return 0.5 } // factor 1: exact delays
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c, err := nexudus.New(cfg, f.srv.Client(), log)
	if err != nil {
		t.Fatalf("nexudus.New: %v", err)
	}
	return c
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (f *fakeNexudus) set(path string, recs []map[string]any) {
	f.mu.Lock()
	f.entities[path] = recs
	f.mu.Unlock()
}

func (f *fakeNexudus) addFaults(fs ...fault) {
	f.mu.Lock()
	f.faults = append(f.faults, fs...)
	f.mu.Unlock()
}

// revokeAccess invalidates every access token (as an expiry would).
func (f *fakeNexudus) revokeAccess() {
	f.mu.Lock()
	clear(f.access)
	f.mu.Unlock()
}

func (f *fakeNexudus) grantTypes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, g := range f.grants {
		out = append(out, g.Get("grant_type"))
	}
	return out
}

func (f *fakeNexudus) calls() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.apiCalls)
}

func (f *fakeNexudus) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/token" {
		f.serveToken(w, r)
		return
	}
	f.mu.Lock()
	authOK := false
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && f.access[tok] {
		authOK = true
	}
	call := apiCall{method: r.Method, path: r.URL.Path, query: r.URL.Query()}
	var ft *fault
	if authOK && len(f.faults) > 0 {
		ft = &f.faults[0]
		f.faults = f.faults[1:]
	}
	raw := f.raw[r.URL.Path]
	recs, known := f.entities[r.URL.Path]
	f.mu.Unlock()
	record := func(status int) {
		call.status = status
		f.mu.Lock()
		f.apiCalls = append(f.apiCalls, call)
		f.mu.Unlock()
	}
	switch {
	case !authOK:
		record(401)
		http.Error(w, `{"Message":"Authorization has been denied for this request."}`, 401)
	case ft != nil:
		record(ft.status)
		if ft.retryAfter != "" {
			w.Header().Set("Retry-After", ft.retryAfter)
		}
		w.WriteHeader(ft.status)
		io.WriteString(w, `{"Message":"You must wait before accessing this url again."}`)
	case raw != nil:
		record(200)
		raw(w, r)
	case r.Method == http.MethodPost && r.URL.Path == nexudus.PathCheckins:
		record(200)
		f.serveCheckin(w, r)
	case known && r.Method == http.MethodGet:
		record(200)
		f.serveList(w, r, recs)
	default:
		record(404)
		http.NotFound(w, r)
	}
}

func (f *fakeNexudus) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		w.WriteHeader(400)
		io.WriteString(w, `{"error":"unsupported_grant_type"}`)
		return
	}
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(400)
		return
	}
	f.mu.Lock()
	delay := f.tokenDelay
	f.grants = append(f.grants, r.PostForm)
	f.mu.Unlock()
	time.Sleep(delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	form := r.PostForm
	clientID := form.Get("client_id")
	deny := func(desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"error":"invalid_grant","error_description":%q}`, desc)
	}
	switch form.Get("grant_type") {
	case "password":
		if clientID == "" {
			clientID = form.Get("username")
		}
		if form.Get("username") != f.username || form.Get("password") != f.password {
			deny("The user name or password is incorrect.")
			return
		}
	case "refresh_token":
		owner, ok := f.refresh[form.Get("refresh_token")]
		if !ok || owner != clientID || clientID == "" || f.failRefresh {
			deny("The refresh token is invalid.")
			return
		}
	default:
		w.WriteHeader(400)
		io.WriteString(w, `{"error":"unsupported_grant_type"}`)
		return
	}
	for rt, owner := range f.refresh { // one refresh token per client_id
		if owner == clientID {
			delete(f.refresh, rt)
		}
	}
	f.seq++
	at, rt := fmt.Sprintf("at-%d", f.seq), fmt.Sprintf("rt-%d", f.seq)
	f.access[at] = true
	f.refresh[rt] = clientID
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":%d,"refresh_token":%q}`, at, f.expiresIn, rt)
}

// serveList applies filters and paging to recs and writes the envelope.
func (f *fakeNexudus) serveList(w http.ResponseWriter, r *http.Request, recs []map[string]any) {
	q := r.URL.Query()
	var out []map[string]any
	for _, rec := range recs {
		if matches(rec, q) {
			out = append(out, rec)
		}
	}
	page, size := atoiOr(q.Get("page"), 1), atoiOr(q.Get("size"), 25)
	total := len(out)
	lo := min((page-1)*size, total)
	hi := min(lo+size, total)
	pages := (total + size - 1) / size
	env := map[string]any{
		"Records": out[lo:hi], "CurrentPage": page, "CurrentPageSize": size,
		"CurrentOrderField": q.Get("orderBy"), "CurrentSortDirection": 1,
		"FirstItem": lo + 1, "LastItem": hi, "TotalItems": total, "TotalPages": pages,
		"HasNextPage": page < pages, "HasPreviousPage": page > 1,
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(env)
}

// matches applies {Entity}_{Prop}=v (Prop or PropId) and inclusive,
// minute-precision from_/to_ ranges on text timestamps.
func matches(rec map[string]any, q url.Values) bool {
	for k, vs := range q {
		v := vs[0]
		lk := strings.ToLower(k)
		switch {
		case k == "page" || k == "size" || k == "orderBy" || k == "dir":
		case strings.HasPrefix(lk, "from_") || strings.HasPrefix(lk, "to_"):
			from := strings.HasPrefix(lk, "from_")
			_, rest, _ := strings.Cut(k, "_")
			_, prop, _ := strings.Cut(rest, "_")
			s, _ := rec[prop].(string)
			if len(s) < 16 {
				return false
			}
			minute := s[:16]
			if from && minute < v || !from && minute > v {
				return false
			}
		default:
			_, prop, ok := strings.Cut(k, "_")
			if !ok {
				continue
			}
			got, ok := rec[prop]
			if !ok {
				got = rec[prop+"Id"]
			}
			if fmt.Sprint(got) != v {
				return false
			}
		}
	}
	return true
}

func (f *fakeNexudus) serveCheckin(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		w.WriteHeader(400)
		io.WriteString(w, `{"Status":400,"Message":"Body: invalid","WasSuccessful":false}`)
		return
	}
	f.mu.Lock()
	f.checkins = append(f.checkins, body)
	id := 7730 + len(f.checkins)
	f.mu.Unlock()
	if body["BusinessId"] == nil || body["FromTime"] == nil {
		w.WriteHeader(400)
		io.WriteString(w, `{"Status":400,"Message":"FromTime: required","WasSuccessful":false,"Errors":[{"PropertyName":"FromTime","Message":"required","AttemptedValue":null}]}`)
		return
	}
	fmt.Fprintf(w, `{"Status":200,"Message":"Checkin was successfully created.","Value":{"Id":%d},"WasSuccessful":true,"Errors":null}`, id)
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return n
	}
	return def
}

// coworkerRecs makes n coworker records, ids 1000.., in descending order so
// that a client relying on the server's order would notice.
func coworkerRecs(n int) []map[string]any {
	recs := make([]map[string]any, 0, n)
	for i := n - 1; i >= 0; i-- {
		recs = append(recs, map[string]any{
			"Id": 1000 + i, "UniqueId": fmt.Sprintf("cw-%04d", i), "FullName": fmt.Sprintf("Member %d", i),
			"Email": fmt.Sprintf("m%d@example.org", i), "CoworkerType": 1, "Active": i%10 != 0, "Archived": false,
			"AccessCardId": fmt.Sprintf("04A1B2%04X, 04A1C3%04X", i, i), "KeyFobNumber": "", "AccessPincode": fmt.Sprintf("%05d", i),
			"CardNumber": nil, "Teams": nil, "AccessControlDebounceTime": 0,
			"CreatedOn": "2025-01-01T09:00:00Z", "UpdatedOn": fmt.Sprintf("2025-03-01T%02d:%02d:00Z", i/60%24, i%60),
		})
	}
	return recs
}

func backoffWithJitter(j func() float64) backoff.Config { return backoff.Config{Jitter: j} }
