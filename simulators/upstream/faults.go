package upstream

import (
	"sync"
	"time"
)

// FaultKind names an injected failure.
type FaultKind int

// Fault kinds.
const (
	FaultNone FaultKind = iota
	// FaultStatus answers Status (default 503) with Retry-After when set,
	// before the body is read; with Key or Seq set, after decoding, for the
	// matching batch only (e.g. a 400 for one batch).
	FaultStatus
	// FaultSlow waits Delay before handling the request.
	FaultSlow
	// FaultDropBody reads part of the body, then closes the connection.
	FaultDropBody
	// FaultLostAnswer stores the batch, then closes the connection without
	// an answer: the client cannot know it arrived.
	FaultLostAnswer
	// FaultSlowAnswer stores the batch, then waits Delay before answering.
	FaultSlowAnswer
)

func (k FaultKind) String() string {
	switch k {
	case FaultStatus:
		return "status"
	case FaultSlow:
		return "slow"
	case FaultDropBody:
		return "drop_body"
	case FaultLostAnswer:
		return "lost_answer"
	case FaultSlowAnswer:
		return "slow_answer"
	}
	return "none"
}

// Fault is one injected failure rule; the first matching rule applies.
type Fault struct {
	Kind       FaultKind
	Times      int           // requests it hits before it retires; 0: until cleared
	Status     int           // FaultStatus; 0 means 503
	RetryAfter string        // FaultStatus: Retry-After header value, if any
	Message    string        // FaultStatus: the error message
	Delay      time.Duration // FaultSlow, FaultSlowAnswer
	Key        string        // only requests with this Idempotency-Key
	Seq        uint64        // only batches holding this seq (any stream)
}

// phase is when a rule is checked.
type phase int

const (
	phaseHeaders phase = iota // before the body is read
	phaseDecoded              // after decoding, before storing
	phaseStored               // after storing, before answering
)

func (f *Fault) phase() phase {
	switch f.Kind {
	case FaultLostAnswer, FaultSlowAnswer:
		return phaseStored
	case FaultStatus:
		if f.Seq != 0 {
			return phaseDecoded
		}
	}
	return phaseHeaders
}

type faults struct {
	mu    sync.Mutex
	rules []Fault
}

// SetFaults replaces the fault rules at run time.
func (s *Sink) SetFaults(rules ...Fault) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.rules = append([]Fault(nil), rules...)
}

// ClearFaults removes every fault rule.
func (s *Sink) ClearFaults() { s.SetFaults() }

// pick returns the first rule of phase p that matches the request.
func (f *faults) pick(p phase, key string, b *Batch) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.rules {
		if r.Kind == FaultNone || r.phase() != p || (r.Key != "" && r.Key != key) {
			continue
		}
		if r.Seq != 0 && (b == nil || !holds(b, r.Seq)) {
			continue
		}
		if r.Times > 0 {
			f.rules[i].Times--
			if f.rules[i].Times == 0 {
				f.rules = append(f.rules[:i:i], f.rules[i+1:]...)
			}
		}
		return r, true
	}
	return Fault{}, false
}

func holds(b *Batch, seq uint64) bool {
	for i := range b.Events {
		if b.Events[i].Seq == seq {
			return true
		}
	}
	return false
}
