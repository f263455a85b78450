package nexudus

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// FaultKind names an injected failure.
type FaultKind int

// Fault kinds.
const (
	FaultNone    FaultKind = iota
	FaultStatus            // answer Status (default 503) with an error envelope
	FaultSlow              // wait Delay, then answer normally
	FaultHang              // never answer; give up after Delay (capped by Config.MaxHang) with 504
	FaultBadJSON           // answer 200 with a truncated JSON body
	FaultDrop              // close the connection without an answer
)

func (k FaultKind) String() string {
	switch k {
	case FaultStatus:
		return "status"
	case FaultSlow:
		return "slow"
	case FaultHang:
		return "hang"
	case FaultBadJSON:
		return "bad_json"
	case FaultDrop:
		return "drop"
	}
	return "none"
}

// Fault is one injected failure rule. The first rule whose Path is a prefix
// of the request path applies.
type Fault struct {
	Kind   FaultKind
	Path   string        // path prefix; "" matches every request
	Times  int           // requests it hits before it retires; 0 = until cleared
	Status int           // for FaultStatus; 0 means 503
	Delay  time.Duration // for FaultSlow and FaultHang
}

type faultState struct {
	mu    sync.Mutex
	rules []Fault
	hits  int
}

// SetFaults replaces the fault rules at run time.
func (s *Server) SetFaults(faults ...Fault) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.rules = append([]Fault(nil), faults...)
}

// ClearFaults removes every fault rule.
func (s *Server) ClearFaults() { s.SetFaults() }

// FaultHits returns how many requests a fault was injected into.
func (s *Server) FaultHits() int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.hits
}

func (f *faultState) pick(path string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.rules {
		if r.Kind == FaultNone || !strings.HasPrefix(path, r.Path) {
			continue
		}
		if r.Times > 0 {
			f.rules[i].Times--
			if f.rules[i].Times == 0 {
				f.rules = append(f.rules[:i:i], f.rules[i+1:]...)
			}
		}
		f.hits++
		return r, true
	}
	return Fault{}, false
}

func (s *Server) injectFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := s.faults.pick(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		s.reqs.note(r, func(rec *RequestRecord) { rec.Fault = f.Kind.String() })
		switch f.Kind {
		case FaultStatus:
			status := f.Status
			if status == 0 {
				status = http.StatusServiceUnavailable
			}
			writeResult(w, status, "An error has occurred.", 0)
		case FaultSlow:
			t := time.NewTimer(f.Delay)
			defer t.Stop()
			select {
			case <-t.C:
				next.ServeHTTP(w, r)
			case <-r.Context().Done():
			}
		case FaultHang:
			d := s.cfg.MaxHang
			if f.Delay > 0 && f.Delay < d {
				d = f.Delay
			}
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				writeResult(w, http.StatusGatewayTimeout, "The request timed out.", 0)
			case <-r.Context().Done():
			}
		case FaultBadJSON:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"Records":[{"Id":1,"FullName":"Ana`))
		case FaultDrop:
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
			}
			_ = conn.Close()
		}
	})
}
