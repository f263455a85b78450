package nexudus

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limit is one throttle rule: at most Max requests per Window and client
// (nexudus.md §3.3 [S9]). WritesOnly rules count POST, PUT and DELETE only.
type Limit struct {
	Window     time.Duration
	Max        int
	WritesOnly bool
}

// DefaultLimits are the documented limits: every method 1 per 100 ms,
// 120/min, 5000/h, 200,000/day; writes 60/min and 5000/day.
func DefaultLimits() []Limit {
	return []Limit{
		{Window: 100 * time.Millisecond, Max: 1},
		{Window: time.Minute, Max: 120},
		{Window: time.Hour, Max: 5000},
		{Window: 24 * time.Hour, Max: 200000},
		{Window: time.Minute, Max: 60, WritesOnly: true},
		{Window: 24 * time.Hour, Max: 5000, WritesOnly: true},
	}
}

type window struct {
	start time.Time
	n     int
}

type throttler struct {
	mu        sync.Mutex
	limits    []Limit
	on        bool
	status    int
	buckets   map[string][]window
	throttled int
}

func newThrottler(limits []Limit, on bool, status int) *throttler {
	return &throttler{limits: limits, on: on, status: status, buckets: map[string][]window{}}
}

// allow counts one request of key at now. A refused request is not counted.
// Each window starts at the first request after the previous one closed.
func (t *throttler) allow(key string, write bool, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.on {
		return true, 0
	}
	ws := t.buckets[key]
	if len(ws) != len(t.limits) {
		ws = make([]window, len(t.limits))
		t.buckets[key] = ws
	}
	var wait time.Duration
	for i, l := range t.limits {
		if l.WritesOnly && !write {
			continue
		}
		if ws[i].start.IsZero() || !now.Before(ws[i].start.Add(l.Window)) {
			ws[i] = window{start: now}
		}
		if ws[i].n >= l.Max {
			wait = max(wait, ws[i].start.Add(l.Window).Sub(now))
		}
	}
	if wait > 0 {
		t.throttled++
		return false, wait
	}
	for i, l := range t.limits {
		if !l.WritesOnly || write {
			ws[i].n++
		}
	}
	return true, 0
}

func (s *Server) throttleRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write := r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodDelete
		ok, wait := s.throttle.allow(s.clientKey(r), write, s.now())
		if !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			s.throttle.mu.Lock()
			status := s.throttle.status
			s.throttle.mu.Unlock()
			writeResult(w, status, "You must wait before accessing this url again.", 0)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// SetThrottle turns throttling on or off at run time.
func (s *Server) SetThrottle(on bool) {
	s.throttle.mu.Lock()
	defer s.throttle.mu.Unlock()
	s.throttle.on = on
}

// SetLimits replaces the throttle rules and forgets every client's counts.
func (s *Server) SetLimits(limits []Limit) {
	s.throttle.mu.Lock()
	defer s.throttle.mu.Unlock()
	s.throttle.limits = append([]Limit(nil), limits...)
	clear(s.throttle.buckets)
}

// SetThrottleStatus sets the throttle answer: 409 (Nexudus) or 429.
func (s *Server) SetThrottleStatus(status int) {
	s.throttle.mu.Lock()
	defer s.throttle.mu.Unlock()
	s.throttle.status = status
}

// Throttled returns how many requests were refused by the throttle.
func (s *Server) Throttled() int {
	s.throttle.mu.Lock()
	defer s.throttle.mu.Unlock()
	return s.throttle.throttled
}

// RequestRecord is one entry of the request log.
type RequestRecord struct {
	Time    time.Time // the injected clock
	Method  string
	Path    string
	Query   string
	Status  int    // 0 when the connection was dropped
	Fault   string // the injected fault, if any
	Ignored []string
}

const maxLogEntries = 10000

type requestLog struct {
	mu      sync.Mutex
	entries []*RequestRecord
	counts  map[string]int
}

func newRequestLog() *requestLog { return &requestLog{counts: map[string]int{}} }

type recordKey struct{}

func normPath(p string) string {
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &RequestRecord{Time: s.now(), Method: r.Method, Path: normPath(r.URL.Path), Query: r.URL.RawQuery}
		l := s.reqs
		l.mu.Lock()
		l.counts[rec.Path]++
		if len(l.entries) >= maxLogEntries {
			l.entries = append(l.entries[:0], l.entries[maxLogEntries/2:]...)
		}
		l.entries = append(l.entries, rec)
		l.mu.Unlock()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), recordKey{}, rec)))
		l.mu.Lock()
		rec.Status = sw.status
		l.mu.Unlock()
		s.log.Debug("request", "method", r.Method, "path", rec.Path, "status", sw.status, "fault", rec.Fault)
	})
}

func (l *requestLog) note(r *http.Request, fn func(*RequestRecord)) {
	rec, ok := r.Context().Value(recordKey{}).(*RequestRecord)
	if !ok {
		return
	}
	l.mu.Lock()
	fn(rec)
	l.mu.Unlock()
}

func (l *requestLog) noteIgnored(r *http.Request, ignored []string) {
	if len(ignored) > 0 {
		l.note(r, func(rec *RequestRecord) { rec.Ignored = append(rec.Ignored, ignored...) })
	}
}

// Requests returns how many requests reached path (any method; a trailing
// slash is ignored), including throttled and faulted ones.
func (s *Server) Requests(path string) int {
	s.reqs.mu.Lock()
	defer s.reqs.mu.Unlock()
	return s.reqs.counts[normPath(path)]
}

// RequestLog returns a copy of the most recent requests, oldest first.
func (s *Server) RequestLog() []RequestRecord {
	s.reqs.mu.Lock()
	defer s.reqs.mu.Unlock()
	out := make([]RequestRecord, len(s.reqs.entries))
	for i, e := range s.reqs.entries {
		out[i] = *e
		out[i].Ignored = append([]string(nil), e.Ignored...)
	}
	return out
}

// ResetRequests clears the request log and counters.
func (s *Server) ResetRequests() {
	s.reqs.mu.Lock()
	defer s.reqs.mu.Unlock()
	s.reqs.entries = nil
	clear(s.reqs.counts)
}
