package devices

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/policy"
	"github.com/prometheus/client_golang/prometheus"
)

// Decider decides unlock requests from the hub's in-memory view. Both
// methods must be fast and do no network I/O (internal/store implements it).
type Decider interface {
	Decide(now time.Time, req policy.Request) policy.Decision
	NoteDecisionTime(t time.Time)
}

// EventSink makes the records of decisions, door events and admin actions
// durable. Each method returns only once the record is stored with the hub's
// durability setting: a reply or an ack is sent only after that.
type EventSink interface {
	RecordDecision(ctx context.Context, r DecisionRecord) error
	// RecordDoor reports duplicate=true for a (lock, boot, seq) it already
	// holds; the event is then acked again but not stored twice.
	RecordDoor(ctx context.Context, r DoorRecord) (duplicate bool, err error)
	RecordAdmin(ctx context.Context, r AdminRecord) error
}

// LockStates reads and writes the runtime state of locks (lockdown, release,
// keypad lockout) that Decide reads.
type LockStates interface {
	LockState(lock string) policy.LockState
	SetLockState(ctx context.Context, lock string, st policy.LockState) error
}

// CommandSender delivers a signed command to a lock (Broker implements it).
type CommandSender interface {
	SendCommand(lock string, payload []byte) error
}

// StatusSink keeps what a lock reports about itself (Broker implements it).
type StatusSink interface {
	SetLockStatus(lock string, st LockStatus)
}

// DecisionRecord is the audit record of one decision.
type DecisionRecord struct {
	At       time.Time // hub time of the decision
	LockTime time.Time // the lock's clock from the request; zero when absent
	Lock     string
	// RequestID is the request's id (empty for MQTT 5 requests without one).
	RequestID  string
	Credential policy.CredentialType
	// CredentialRef is a short pseudonymous reference to the credential (a
	// prefix of its keyed digest), never its value. Personal: encrypted at rest.
	CredentialRef string
	Decision      policy.Decision
}

// DoorRecord is a door event reported by a lock.
type DoorRecord struct {
	At    time.Time // hub ingest time
	Lock  string
	Event wire.DoorEvent
}

// AdminRecord is the audit record of an action on a lock.
type AdminRecord struct {
	At     time.Time
	Lock   string
	Action string
	Actor  string
}

// KeypadConfig sets the keypad lockout: after MaxFailures wrong PINs at one
// lock within Window, the keypad is locked for Lockout. Zero fields take the
// defaults (5 failures, 5 minutes, 5 minutes).
type KeypadConfig struct {
	MaxFailures int
	Window      time.Duration
	Lockout     time.Duration
}

// ServiceDeps are the Service's collaborators. All but Logger, Registerer
// and Now are required.
type ServiceDeps struct {
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Now        func() time.Time
	Decider    Decider
	// Digest canonicalises a raw credential and returns its keyed digest.
	Digest     func(t policy.CredentialType, raw string) (policy.Credential, error)
	Events     EventSink
	LockStates LockStates
	// CommandKey returns a lock's command key (derived from the master key
	// and the lock's key generation); ok=false for an unknown lock.
	CommandKey func(lock string) (key []byte, ok bool)
	Commands   CommandSender
	Status     StatusSink
}

// Service is the hub's side of lock protocol v1: it turns requests into
// decisions, door events into durable records, lock states into presence,
// and admin actions into signed commands. It implements RequestHandler,
// EventHandler and StateHandler.
type Service struct {
	d       ServiceDeps
	log     *slog.Logger
	keypad  KeypadConfig
	m       *serviceMetrics
	stateMu sync.Mutex // serialises read-modify-write of lock states

	kpMu  sync.Mutex
	fails map[string]*pinFailures

	// replyBufs holds *replyBuf: a reply's encoding would escape to the
	// heap through the reply callback, one allocation per request.
	replyBufs sync.Pool
}

type replyBuf struct{ b [256]byte }

type pinFailures struct {
	count int
	first time.Time
}

// NewService checks deps and returns a Service.
func NewService(kp KeypadConfig, d ServiceDeps) (*Service, error) {
	if d.Decider == nil || d.Digest == nil || d.Events == nil || d.LockStates == nil ||
		d.CommandKey == nil || d.Commands == nil || d.Status == nil {
		return nil, errors.New("devices service: missing dependency")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Registerer == nil {
		d.Registerer = prometheus.NewRegistry()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if kp.MaxFailures <= 0 {
		kp.MaxFailures = 5
	}
	if kp.Window <= 0 {
		kp.Window = 5 * time.Minute
	}
	if kp.Lockout <= 0 {
		kp.Lockout = 5 * time.Minute
	}
	m, err := newServiceMetrics(d.Registerer)
	if err != nil {
		return nil, err
	}
	return &Service{
		d: d, log: d.Logger.With("component", "locks"), keypad: kp, m: m,
		fails:     make(map[string]*pinFailures),
		replyBufs: sync.Pool{New: func() any { return new(replyBuf) }},
	}, nil
}

// Interface guards.
var (
	_ RequestHandler = (*Service)(nil)
	_ EventHandler   = (*Service)(nil)
	_ StateHandler   = (*Service)(nil)
)

// HandleRequest answers an access or time request.
func (s *Service) HandleRequest(lock string, payload []byte, correlated bool, reply func([]byte)) {
	start := s.d.Now()
	var req wire.Request
	err := wire.DecodeRequest(payload, &req)
	if err == nil && !correlated {
		err = wire.RequireID(&req)
	}
	if err != nil {
		s.replyError(lock, req.ID, err, start, reply)
		return
	}
	if req.Type == wire.TypeTime {
		s.answerTime(lock, req.Nonce, start)
		return
	}
	ctype := policy.CredentialType(req.Type)
	cred, err := s.d.Digest(ctype, req.Credential)
	if err != nil {
		if ctype == policy.CredPIN {
			s.notePINFailure(lock, start)
		}
		s.replyError(lock, req.ID, &wire.Error{Code: wire.CodeBadField, Field: "credential", Msg: "not a valid " + ctype.String()}, start, reply)
		return
	}
	d := s.d.Decider.Decide(start, policy.Request{Lock: lock, Credential: cred})
	if ctype == policy.CredPIN {
		switch d.Reason {
		case policy.ReasonUnknownCredential:
			s.notePINFailure(lock, start)
		case policy.ReasonAllowed:
			s.resetPINFailures(lock)
		}
	}
	rec := DecisionRecord{
		At: start, Lock: lock, RequestID: req.ID, Credential: ctype,
		CredentialRef: hex.EncodeToString(cred.Digest[:4]), Decision: d,
	}
	if req.At > 0 {
		rec.LockTime = time.UnixMilli(req.At)
	}
	if err := s.d.Events.RecordDecision(context.Background(), rec); err != nil {
		// An unrecorded grant is never sent: deny when in doubt.
		s.log.Error("decision not recorded; answering internal error", "lock", lock, "error", err)
		s.replyError(lock, req.ID, &wire.Error{Code: wire.CodeInternal, Msg: "event store unavailable"}, start, reply)
		return
	}
	s.d.Decider.NoteDecisionTime(start)
	resp := wire.AccessResponse{ID: req.ID, Result: wire.ResultDenied, Reason: d.Reason.String(), Time: start.UnixMilli()}
	if d.Allowed() {
		resp.Result = wire.ResultGranted
		resp.UnlockMS = uint32(d.Unlock.Milliseconds())
	}
	if d.Reason == policy.ReasonKeypadLockedOut {
		if until := s.d.LockStates.LockState(lock).KeypadLockedUntil; until.After(start) {
			resp.RetryAfterMS = uint32(until.Sub(start).Milliseconds())
		}
	}
	// Counted before the reply leaves, so anyone who has seen the reply
	// (the lock, a test, an operator) finds it counted.
	s.m.decided(d)
	rb := s.replyBufs.Get().(*replyBuf)
	reply(wire.AppendResponse(rb.b[:0], &resp)) // reply keeps no reference (RequestHandler)
	s.replyBufs.Put(rb)
	s.m.latency.Observe(s.d.Now().Sub(start).Seconds())
}

func resultLabel(d policy.Decision) string {
	if d.Allowed() {
		return "granted"
	}
	return "denied"
}

func (s *Service) replyError(lock, id string, err error, now time.Time, reply func([]byte)) {
	code := wire.CodeOf(err)
	s.m.requestErrors.WithLabelValues(code.String()).Inc()
	s.log.Debug("lock request refused", "lock", lock, "code", code.String(), "error", err)
	msg := err.Error()
	var we *wire.Error
	if errors.As(err, &we) && we.Msg != "" {
		msg = we.Msg
	}
	reply(wire.AppendError(nil, id, code, msg, now.UnixMilli()))
}

// answerTime sends a signed time command carrying the lock's nonce.
func (s *Service) answerTime(lock, nonce string, now time.Time) {
	c := wire.TimeAnswer(nonce, now.UnixMilli())
	if err := s.sign(lock, &c); err != nil {
		s.log.Warn("time request not answered", "lock", lock, "error", err)
		return
	}
	if err := s.d.Commands.SendCommand(lock, wire.AppendCommand(nil, &c)); err != nil {
		s.log.Warn("time answer not sent", "lock", lock, "error", err)
	}
}

func (s *Service) sign(lock string, c *wire.Command) error {
	key, ok := s.d.CommandKey(lock)
	if !ok {
		return fmt.Errorf("sign command for %q: unknown lock", lock)
	}
	return wire.SignCommand(key, lock, c)
}

// notePINFailure counts a wrong PIN and locks the keypad out after too many.
func (s *Service) notePINFailure(lock string, now time.Time) {
	s.kpMu.Lock()
	f := s.fails[lock]
	if f == nil || now.Sub(f.first) > s.keypad.Window {
		f = &pinFailures{first: now}
		s.fails[lock] = f
	}
	f.count++
	trip := f.count >= s.keypad.MaxFailures
	if trip {
		delete(s.fails, lock)
	}
	s.kpMu.Unlock()
	if !trip {
		return
	}
	until := now.Add(s.keypad.Lockout)
	err := s.updateState(context.Background(), lock, func(st *policy.LockState) { st.KeypadLockedUntil = until })
	if err != nil {
		s.log.Error("keypad lockout not stored", "lock", lock, "error", err)
		return
	}
	s.m.lockouts.Inc()
	s.log.Warn("keypad locked out after repeated wrong PINs", "lock", lock, "until", until, "failures", s.keypad.MaxFailures)
}

func (s *Service) resetPINFailures(lock string) {
	s.kpMu.Lock()
	delete(s.fails, lock)
	s.kpMu.Unlock()
}

func (s *Service) updateState(ctx context.Context, lock string, f func(*policy.LockState)) error {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	st := s.d.LockStates.LockState(lock)
	f(&st)
	return s.d.LockStates.SetLockState(ctx, lock, st)
}
