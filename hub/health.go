package hub

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Severity ranks a health warning. Critical warnings make /readyz fail.
type Severity uint8

// Severities, least severe first.
const (
	SeverityInfo Severity = iota
	SeverityWarning
	SeverityCritical
)

func (s Severity) String() string {
	switch s {
	case SeverityInfo:
		return "info"
	case SeverityWarning:
		return "warning"
	case SeverityCritical:
		return "critical"
	}
	return "unknown"
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	for _, v := range []Severity{SeverityInfo, SeverityWarning, SeverityCritical} {
		if string(b) == v.String() {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q", b)
}

// Health warning codes: stable, snake_case; metrics, the page and the API
// use them.
const (
	WarnLockOffline        = "lock_offline"
	WarnGrantsStale        = "grants_stale"
	WarnOutboxBacklog      = "outbox_backlog"
	WarnOutboxDropped      = "outbox_dropped"
	WarnUploadFailing      = "upload_failing"
	WarnUploadParked       = "upload_parked"
	WarnClockUntrusted     = "clock_untrusted"
	WarnNexudusUnreachable = "nexudus_unreachable"
	WarnEventLogBehind     = "event_log_behind"
	WarnEventsUnreadable   = "events_unreadable"
)

// Warnable declares a health warning: what it is called, how bad it is, and
// how long its condition must hold before it shows (so that a lock
// rebooting or one failed upload does not flash on the page). While a
// warning it depends on is visible, it is hidden: the parent explains it.
type Warnable struct {
	Code          string
	Title         string
	Severity      Severity
	TimeToVisible time.Duration
	DependsOn     []string
}

// declaredWarnings lists every warning the hub can raise.
func declaredWarnings() []Warnable {
	return []Warnable{
		{Code: WarnClockUntrusted, Title: "Clock is behind the hub's own records", Severity: SeverityCritical},
		{Code: WarnGrantsStale, Title: "Access data from Nexudus is stale", Severity: SeverityWarning},
		{Code: WarnNexudusUnreachable, Title: "Nexudus is unreachable", Severity: SeverityWarning,
			TimeToVisible: 5 * time.Minute},
		{Code: WarnLockOffline, Title: "Lock offline", Severity: SeverityWarning, TimeToVisible: 2 * time.Minute},
		{Code: WarnUploadFailing, Title: "Event upload failing", Severity: SeverityWarning,
			TimeToVisible: 2 * time.Minute},
		{Code: WarnUploadParked, Title: "Event batches refused by the upstream", Severity: SeverityWarning},
		{Code: WarnOutboxBacklog, Title: "Event outbox backlog", Severity: SeverityWarning,
			TimeToVisible: 5 * time.Minute, DependsOn: []string{WarnUploadFailing}},
		{Code: WarnOutboxDropped, Title: "Events dropped by the outbox cap", Severity: SeverityWarning},
		{Code: WarnEventsUnreadable, Title: "Events lost to a crash before their sync", Severity: SeverityWarning},
		{Code: WarnEventLogBehind, Title: "Event log's disk is falling behind", Severity: SeverityWarning,
			TimeToVisible: time.Minute},
	}
}

// Warning is a visible health warning.
type Warning struct {
	Code     string    `json:"code"`
	Severity Severity  `json:"severity"`
	Title    string    `json:"title"`
	Text     string    `json:"text"`
	Since    time.Time `json:"since"` // when the condition began
}

// healthTracker holds the state of every declared warning. Components (and
// the hub's own checks) call set and clear; the page, /readyz and /metrics
// read visible. A nil tracker is safe and reports nothing.
type healthTracker struct {
	now   func() time.Time
	decls []Warnable

	mu    sync.Mutex
	state map[string]*warnState
}

type warnState struct {
	since    time.Time
	text     string
	severity Severity
}

func newHealthTracker(now func() time.Time) *healthTracker {
	return &healthTracker{now: now, decls: declaredWarnings(), state: make(map[string]*warnState)}
}

func (t *healthTracker) decl(code string) (Warnable, bool) {
	i := slices.IndexFunc(t.decls, func(w Warnable) bool { return w.Code == code })
	if i < 0 {
		return Warnable{}, false
	}
	return t.decls[i], true
}

// set marks code unhealthy with text, at its declared severity. The time it
// began is kept across calls until clear.
func (t *healthTracker) set(code, text string) {
	if t == nil {
		return
	}
	d, ok := t.decl(code)
	if !ok {
		return
	}
	t.setSeverity(code, d.Severity, text)
}

// setSeverity is set with a severity other than the declared one (a stale
// grant set is a warning first, critical once locks start denying).
func (t *healthTracker) setSeverity(code string, sev Severity, text string) {
	if t == nil {
		return
	}
	if _, ok := t.decl(code); !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.state[code]
	if st == nil {
		st = &warnState{since: t.now()}
		t.state[code] = st
	}
	st.text, st.severity = text, sev
}

// clear marks code healthy.
func (t *healthTracker) clear(code string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	delete(t.state, code)
	t.mu.Unlock()
}

// update sets code when bad, clears it otherwise.
func (t *healthTracker) update(code string, bad bool, text string) {
	if bad {
		t.set(code, text)
	} else {
		t.clear(code)
	}
}

// visible returns the warnings whose condition has held for their time to
// visible and whose parents are not visible, most severe first.
func (t *healthTracker) visible() []Warning {
	if t == nil {
		return nil
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	shown := func(d Warnable) bool {
		st := t.state[d.Code]
		return st != nil && !now.Before(st.since.Add(d.TimeToVisible))
	}
	out := []Warning{}
	for _, d := range t.decls {
		if !shown(d) {
			continue
		}
		hidden := false
		for _, p := range d.DependsOn {
			if pd, ok := t.decl(p); ok && shown(pd) {
				hidden = true
			}
		}
		if hidden {
			continue
		}
		st := t.state[d.Code]
		out = append(out, Warning{Code: d.Code, Severity: st.severity, Title: d.Title, Text: st.text, Since: st.since})
	}
	slices.SortStableFunc(out, func(a, b Warning) int { return int(b.Severity) - int(a.Severity) })
	return out
}

// critical reports whether a visible warning is critical.
func critical(ws []Warning) bool {
	return slices.ContainsFunc(ws, func(w Warning) bool { return w.Severity == SeverityCritical })
}
