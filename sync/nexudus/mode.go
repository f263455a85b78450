package nexudus

import (
	"fmt"
	"sync"
	"time"
)

// TimeMode says how a tenant's REST API writes times without an offset
// (nexudus.md Q8): as UTC, or as the location's wall clock (possibly with a
// fake "Z").
type TimeMode uint8

const (
	// TimeModeUnknown: not detected yet (or not detectable: the location was
	// at offset 0 for every pair seen). Times are then read as UTC.
	TimeModeUnknown TimeMode = iota
	// TimeModeUTC: FromTime etc. are UTC; the *Local twins are wall clock.
	TimeModeUTC
	// TimeModeWallclock: FromTime and FromTimeLocal are both wall clock.
	TimeModeWallclock
)

func (m TimeMode) String() string {
	switch m {
	case TimeModeUTC:
		return "utc"
	case TimeModeWallclock:
		return "wallclock"
	default:
		return "unknown"
	}
}

// ParseTimeMode reads "utc", "wallclock", or "" / "auto" / "unknown" (detect).
func ParseTimeMode(s string) (TimeMode, error) {
	switch s {
	case "utc":
		return TimeModeUTC, nil
	case "wallclock":
		return TimeModeWallclock, nil
	case "", "auto", "unknown":
		return TimeModeUnknown, nil
	}
	return TimeModeUnknown, fmt.Errorf("unknown time mode %q (want utc, wallclock or auto)", s)
}

// DetectTimeMode compares a field with its *Local twin (FromTime with
// FromTimeLocal, say) for a location in loc, as Q8 decides:
//   - same clock text (ignoring a "Z") while loc is off UTC: wall clock;
//   - the field read as UTC shows the twin's clock in loc, and loc is off
//     UTC at that instant: UTC;
//   - otherwise (either zero, offset 0, or inconsistent): unknown.
func DetectTimeMode(field, local Time, loc *time.Location) TimeMode {
	if field.IsZero() || local.IsZero() || loc == nil {
		return TimeModeUnknown
	}
	lw := local.Wall()
	if field.zone == zoneOffset {
		inst := field.t.In(loc)
		if _, off := inst.Zone(); off != 0 && sameClock(inst, lw) {
			return TimeModeUTC // an explicit offset is absolute, like UTC
		}
		return TimeModeUnknown
	}
	fw := field.Wall()
	if fw.Equal(lw) {
		asLocal := time.Date(lw.Year(), lw.Month(), lw.Day(), lw.Hour(), lw.Minute(), lw.Second(), lw.Nanosecond(), loc)
		if _, off := asLocal.Zone(); off != 0 && sameClock(asLocal, lw) {
			return TimeModeWallclock
		}
		return TimeModeUnknown
	}
	inst := fw.In(loc)
	if _, off := inst.Zone(); off != 0 && sameClock(inst, lw) {
		return TimeModeUTC
	}
	return TimeModeUnknown
}

// sameClock reports whether a (in its location) shows the clock of w (UTC fields).
func sameClock(a, w time.Time) bool {
	y, mo, d := a.Date()
	h, mi, s := a.Clock()
	return y == w.Year() && mo == w.Month() && d == w.Day() && h == w.Hour() && mi == w.Minute() &&
		s == w.Second() && a.Nanosecond() == w.Nanosecond()
}

// FilterTimeLayout is the layout of from_/to_ range filters (nexudus.md
// §3.2): minutes, no seconds, no offset.
const FilterTimeLayout = "2006-01-02T15:04"

// FormatFilterTime formats an instant for a from_/to_ range filter in the
// frame the tenant uses: loc's wall clock in TimeModeWallclock, UTC
// otherwise. Seconds are dropped (floored), which widens a from_ range.
func FormatFilterTime(t time.Time, mode TimeMode, loc *time.Location) string {
	if mode == TimeModeWallclock && loc != nil {
		return t.In(loc).Format(FilterTimeLayout)
	}
	return t.UTC().Format(FilterTimeLayout)
}

// DefaultCursorOverlap is how far an UpdatedOn cursor steps back from the
// newest value seen (Q10): filters have minute precision and clocks drift.
const DefaultCursorOverlap = 10 * time.Minute

// Cursor tracks the newest UpdatedOn seen during an incremental sync (Q10).
// The zero Cursor is ready to use; it is not safe for concurrent use.
type Cursor struct {
	max Time
}

// NewCursor starts a cursor at a value saved from an earlier run (zero for a
// first run).
func NewCursor(last Time) Cursor { return Cursor{max: last} }

// Observe records one UpdatedOn.
func (c *Cursor) Observe(t Time) {
	if t.IsZero() {
		return
	}
	if c.max.IsZero() || cursorKey(t).After(cursorKey(c.max)) {
		c.max = t
	}
}

// Max is the newest value observed (to save for the next run).
func (c *Cursor) Max() Time { return c.max }

// Format returns the from_{Entity}_UpdatedOn value for the next query:
// Max − overlap (DefaultCursorOverlap when overlap ≤ 0), formatted by
// FormatFilterTime. It returns "" when nothing was observed (a full sync).
func (c *Cursor) Format(overlap time.Duration, mode TimeMode, loc *time.Location) string {
	if c.max.IsZero() {
		return ""
	}
	if overlap <= 0 {
		overlap = DefaultCursorOverlap
	}
	return FormatFilterTime(c.max.Instant(mode, loc).Add(-overlap), mode, loc)
}

// cursorKey orders times in the server's frame: the written clock, or the
// instant in UTC for values with an offset.
func cursorKey(t Time) time.Time {
	if t.zone == zoneOffset {
		return t.t.UTC()
	}
	return t.t
}

// modeTracker accumulates DetectTimeMode votes from every pair the client
// decodes.
type modeTracker struct {
	mu        sync.Mutex
	utc, wall int
}

func (m *modeTracker) vote(v TimeMode) (conflictNow bool) {
	if v == TimeModeUnknown {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	before := m.utc > 0 && m.wall > 0
	if v == TimeModeUTC {
		m.utc++
	} else {
		m.wall++
	}
	return !before && m.utc > 0 && m.wall > 0
}

func (m *modeTracker) mode() (TimeMode, int, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.utc == 0 && m.wall == 0:
		return TimeModeUnknown, 0, 0
	case m.utc >= m.wall:
		return TimeModeUTC, m.utc, m.wall
	default:
		return TimeModeWallclock, m.utc, m.wall
	}
}
