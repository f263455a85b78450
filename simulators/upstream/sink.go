package upstream

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults for zero Config fields.
const (
	DefaultMaxBodyBytes    = 16 << 20
	DefaultMaxDecodedBytes = 64 << 20
	DefaultMaxEvents       = 100_000
	maxKeyLen              = 200
)

// Config configures a Sink. Zero values mean the documented default.
type Config struct {
	// Token is the bearer token every request must carry. Required.
	Token string
	// MaxBodyBytes bounds the compressed body. Zero: DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxDecodedBytes bounds the body after gunzip. Zero:
	// DefaultMaxDecodedBytes.
	MaxDecodedBytes int64
	// MaxEvents bounds the events of one batch. Zero: DefaultMaxEvents.
	MaxEvents int
	// KeepEvents keeps every distinct event for Event (memory grows with
	// them); otherwise only sequence bitmaps are kept.
	KeepEvents bool
}

// Sink is a fake upstream: an http.Handler that accepts the upload contract
// of docs/events.md and reports what it holds. Safe for concurrent use.
type Sink struct {
	cfg    Config
	faults faults

	mu   sync.Mutex
	keys map[string][32]byte // idempotency key -> SHA-256 of the decoded body
	led  *ledger
}

// New returns a Sink.
func New(cfg Config) *Sink {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxDecodedBytes <= 0 {
		cfg.MaxDecodedBytes = DefaultMaxDecodedBytes
	}
	if cfg.MaxEvents <= 0 {
		cfg.MaxEvents = DefaultMaxEvents
	}
	return &Sink{cfg: cfg, keys: map[string][32]byte{}, led: newLedger(cfg.KeepEvents)}
}

// Report returns a snapshot of what the sink holds.
func (s *Sink) Report() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.led.snapshot()
}

// Event returns a stored event (Config.KeepEvents only).
func (s *Sink) Event(hub, epoch string, seq uint64) (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.led.keep[streamID{hub, epoch}][seq]
	return e, ok
}

// Keys returns how many distinct idempotency keys were accepted.
func (s *Sink) Keys() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

func (s *Sink) count(f func(r *Report)) {
	s.mu.Lock()
	f(&s.led.rep)
	s.mu.Unlock()
}

// reply writes a JSON answer {"error": msg} or the given value.
func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

type errorBody struct {
	Error string `json:"error"`
}

func (s *Sink) refuse(w http.ResponseWriter, status int, msg string) {
	s.count(func(r *Report) { r.Rejected++ })
	reply(w, status, errorBody{msg})
}

// ServeHTTP handles one upload: POST, bearer token, Idempotency-Key, gzip
// JSON body. See docs/events.md for the answers.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.count(func(r *Report) { r.Requests++ })
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.refuse(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || s.cfg.Token == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) != 1 {
		s.refuse(w, http.StatusUnauthorized, "missing or wrong bearer token")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if !validKey(key) {
		s.refuse(w, http.StatusBadRequest, "missing or malformed Idempotency-Key")
		return
	}
	if !strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		s.refuse(w, http.StatusUnsupportedMediaType, "Content-Encoding must be gzip")
		return
	}
	if f, ok := s.faults.pick(phaseHeaders, key, nil); ok {
		s.count(func(r *Report) { r.Faulted++ })
		if !s.headerFault(w, r, f) {
			return
		}
	}
	body, status, err := s.readBody(w, r)
	if err != nil {
		s.refuse(w, status, err.Error())
		return
	}
	b, err := DecodeBatch(body, s.cfg.MaxEvents)
	if err != nil {
		s.refuse(w, http.StatusBadRequest, err.Error())
		return
	}
	if f, ok := s.faults.pick(phaseDecoded, key, b); ok {
		s.count(func(r *Report) { r.Faulted++ })
		statusFault(w, f)
		return
	}
	sum := sha256.Sum256(body)
	s.mu.Lock()
	if prev, seen := s.keys[key]; seen {
		if prev == sum {
			s.led.rep.Replays++
			s.mu.Unlock()
			reply(w, http.StatusOK, map[string]any{"replay": true, "accepted": 0})
			return
		}
		s.led.rep.Conflicts++
		s.mu.Unlock()
		reply(w, http.StatusUnprocessableEntity, errorBody{"idempotency key reused with a different body"})
		return
	}
	s.keys[key] = sum
	s.led.rep.Accepted++
	fresh, dups := s.led.add(b)
	s.mu.Unlock()

	if f, ok := s.faults.pick(phaseStored, key, b); ok {
		s.count(func(r *Report) { r.Faulted++ })
		if f.Kind == FaultLostAnswer {
			dropConn(w)
			return
		}
		wait(r.Context(), f.Delay)
	}
	reply(w, http.StatusOK, map[string]any{"accepted": fresh, "duplicates": dups})
}

// headerFault applies a fault checked before the body; it reports whether
// handling goes on.
func (s *Sink) headerFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.Kind {
	case FaultStatus:
		statusFault(w, f)
		return false
	case FaultSlow:
		wait(r.Context(), f.Delay)
		return r.Context().Err() == nil
	case FaultDropBody:
		io.CopyN(io.Discard, r.Body, 512)
		dropConn(w)
		return false
	}
	return true
}

func statusFault(w http.ResponseWriter, f Fault) {
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	msg := f.Message
	if msg == "" {
		msg = "injected fault: " + http.StatusText(status)
	}
	reply(w, status, errorBody{msg})
}

func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// dropConn closes the connection without an answer.
func dropConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream
	}
	conn.Close()
}

func validKey(k string) bool {
	if k == "" || len(k) > maxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' {
			return false
		}
	}
	return true
}

// readBody reads and gunzips the body within the configured limits.
func (s *Sink) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes", s.cfg.MaxBodyBytes)
	}
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("read body: %w", err)
	}
	return gunzip(raw, s.cfg.MaxDecodedBytes)
}

func gunzip(raw []byte, limit int64) ([]byte, int, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("gzip: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("gzip: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("decoded body over %d bytes", limit)
	}
	return body, 0, nil
}

// Run listens on addr and serves until ctx ends.
func (s *Sink) Run(ctx context.Context, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return s.Serve(ctx, ln, log)
}

// Serve serves on ln until ctx ends, then shuts down (in-flight requests get
// five seconds) and closes ln.
func (s *Sink) Serve(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	log.Info("upstream sink listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-errc
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
