package nexudus

import (
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Time modes (nexudus.md §5 Q8).
const (
	// TimeModeUTC serves FromTime/ToTime/UpdatedOn as UTC with a "Z" and the
	// *Local twins as the location's wall clock without an offset.
	TimeModeUTC = "utc"
	// TimeModeWallclock serves FromTime and FromTimeLocal as the same
	// wall-clock text, without an offset.
	TimeModeWallclock = "wallclock"
)

// User is an administrator account that may get tokens and use Basic auth.
type User struct {
	Email    string
	Password string
	TOTP     string // when set, the password grant also needs totp=<this>
}

// Config configures a fake. The zero value is usable: one admin user
// (admin@example.org / secret), UTC time mode, the documented throttle
// limits on, the injected clock time.Now.
type Config struct {
	// Now is the clock. Nil means time.Now. Tests inject a movable clock.
	Now func() time.Time
	// Seed seeds the deterministic generator for GUIDs and seed data.
	Seed uint64
	// TimeMode is TimeModeUTC (default) or TimeModeWallclock.
	TimeMode string
	// Users may get tokens. Empty means one user admin@example.org / secret.
	Users []User
	// TokenTTL is expires_in; zero means 604799 s as Nexudus answers.
	TokenTTL time.Duration
	// RefreshTTL is the refresh-token lifetime; zero means 15 days.
	RefreshTTL time.Duration
	// TokenErrorStatus is the status of a failed grant; zero means 400
	// (OAuth convention; nexudus.md §3.1 notes the status is not shown).
	TokenErrorStatus int
	// Limits are the throttle rules; nil means DefaultLimits().
	Limits []Limit
	// ThrottleOff disables throttling (benchmarks); SetThrottle changes it.
	ThrottleOff bool
	// ThrottleStatus is the throttle answer: 409 (default) or 429.
	ThrottleStatus int
	// MaxPageSize clamps size; zero means no maximum (none is documented).
	MaxPageSize int
	// MaxHang bounds a FaultHang; zero means 30 s.
	MaxHang time.Duration
	// AdminUserUniqueID is sent as X-Nexudus-User-UniqueId by CallAccessGroups.
	AdminUserUniqueID string
	// Webhook configures the Custom ACS webhook sender; an empty URL turns
	// it off.
	Webhook WebhookConfig
	// Logger receives the fake's own logs; nil discards them.
	Logger *slog.Logger
}

// Server is a stateful fake Nexudus. All methods are safe for concurrent use.
type Server struct {
	cfg Config
	log *slog.Logger
	now func() time.Time

	mu    sync.RWMutex // guards st, rng, mode, cache
	st    *store
	rng   *rand.Rand
	mode  string
	cache map[string]cachedRows

	auth     *authState
	throttle *throttler
	faults   *faultState
	reqs     *requestLog
	hooks    *webhookSender
	handler  http.Handler
}

// New builds a fake from cfg. It has no data until a Seed or the mutators
// add some.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TimeMode == "" {
		cfg.TimeMode = TimeModeUTC
	}
	if len(cfg.Users) == 0 {
		cfg.Users = []User{{Email: "admin@example.org", Password: "secret"}}
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 604799 * time.Second
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = 15 * 24 * time.Hour
	}
	if cfg.TokenErrorStatus == 0 {
		cfg.TokenErrorStatus = http.StatusBadRequest
	}
	if cfg.Limits == nil {
		cfg.Limits = DefaultLimits()
	}
	if cfg.ThrottleStatus == 0 {
		cfg.ThrottleStatus = http.StatusConflict
	}
	if cfg.MaxHang <= 0 {
		cfg.MaxHang = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var seed [16]byte
	binary.LittleEndian.PutUint64(seed[:8], cfg.Seed)
	s := &Server{
		cfg:   cfg,
		log:   cfg.Logger.With("component", "nexudus_sim"),
		now:   cfg.Now,
		st:    newStore(),
		rng:   rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		mode:  cfg.TimeMode,
		cache: map[string]cachedRows{},
	}
	if cfg.AdminUserUniqueID == "" {
		s.cfg.AdminUserUniqueID = s.guidLocked()
	}
	s.auth = newAuthState(s)
	s.throttle = newThrottler(cfg.Limits, !cfg.ThrottleOff, cfg.ThrottleStatus)
	s.faults = &faultState{}
	s.reqs = newRequestLog()
	s.hooks = newWebhookSender(s, cfg.Webhook)
	s.handler = s.buildHandler()
	return s
}

// Handler returns the HTTP handler serving the Nexudus REST API under /api/.
func (s *Server) Handler() http.Handler { return s.handler }

// Now returns the fake's clock reading.
func (s *Server) Now() time.Time { return s.now() }

// SetTimeMode switches between TimeModeUTC and TimeModeWallclock.
func (s *Server) SetTimeMode(mode string) error {
	if mode != TimeModeUTC && mode != TimeModeWallclock {
		return fmt.Errorf("unknown time mode %q", mode)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = mode
	s.cache = map[string]cachedRows{}
	return nil
}

// TimeMode returns the current time mode.
func (s *Server) TimeMode() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mode
}

// guidLocked returns a deterministic GUID from the seeded generator.
// Callers hold s.mu (or are still constructing s).
func (s *Server) guidLocked() string {
	a, b := s.rng.Uint64(), s.rng.Uint64()
	b = b&^(0xf<<60) | 0x4<<60 // version 4 nibble in the third group
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
		uint32(a>>32), uint16(a>>16), uint16(b>>48), uint16(a), b&0xffffffffffff)
}

// buildHandler wires the middleware: request log, faults, throttle, auth.
func (s *Server) buildHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/token", s.handleToken)
	for _, e := range s.entities() {
		mux.Handle("GET "+e.path, s.requireAuth(s.listHandler(e)))
		mux.Handle("GET "+e.path+"/{$}", s.requireAuth(s.listHandler(e)))
		mux.Handle("GET "+e.path+"/{id}", s.requireAuth(s.getHandler(e)))
	}
	mux.Handle("DELETE /api/spaces/bookings/{id}", s.requireAuth(http.HandlerFunc(s.handleDeleteBooking)))
	mux.Handle("DELETE /api/billing/coworkertimepasses/{id}", s.requireAuth(http.HandlerFunc(s.handleDeletePass)))
	mux.Handle("POST /api/spaces/checkins", s.requireAuth(http.HandlerFunc(s.handlePostCheckin)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeResult(w, http.StatusNotFound, "No HTTP resource was found that matches the request URI.", 0)
	})
	return s.logRequests(s.injectFaults(s.throttleRequests(mux)))
}
