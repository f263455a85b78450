package nexudus

import (
	"errors"
	"strings"
	"time"
)

// jtime is a rendered timestamp. naive is the clock reading the client sees,
// kept as a UTC-tagged time.Time so that sorting and from_/to_ ranges compare
// exactly the text the client reads (nexudus.md §3.2, §5 Q8 and Q10). zulu
// appends the "Z" of the utc time mode.
type jtime struct {
	naive time.Time
	zulu  bool
}

const naiveLayout = "2006-01-02T15:04:05"

// MarshalJSON writes "2006-01-02T15:04:05" with a "Z" when zulu.
func (t jtime) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(naiveLayout)+3)
	b = append(b, '"')
	b = t.naive.AppendFormat(b, naiveLayout)
	if t.zulu {
		b = append(b, 'Z')
	}
	return append(b, '"'), nil
}

func (t jtime) String() string {
	s := t.naive.Format(naiveLayout)
	if t.zulu {
		s += "Z"
	}
	return s
}

// wallNaive returns the wall-clock reading of t in loc as a UTC-tagged time.
func wallNaive(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// stamp renders an instant for a non-Local field (FromTime, UpdatedOn, ...)
// in the given mode: UTC with Z, or the wall clock of loc without an offset.
// A zero instant renders as JSON null.
func stamp(t time.Time, mode string, loc *time.Location) any {
	if t.IsZero() {
		return nil
	}
	if mode == TimeModeWallclock {
		return jtime{naive: wallNaive(t, loc)}
	}
	return jtime{naive: t.UTC(), zulu: true}
}

// localStamp renders an instant for a *Local field: always the wall clock of
// loc without an offset, in both modes.
func localStamp(t time.Time, loc *time.Location) any {
	if t.IsZero() {
		return nil
	}
	return jtime{naive: wallNaive(t, loc)}
}

var errRangeFormat = errors.New("date must be YYYY-MM-DDTHH:mm")

// parseFilterTime parses a from_/to_ value: YYYY-MM-DDTHH:mm as documented,
// plus seconds or a bare date. A trailing "Z" is ignored (the value is read
// in the time mode's clock, as the portal API does with its fake Z); any other
// offset is refused. dateOnly reports a bare date.
func parseFilterTime(v string) (t time.Time, dateOnly bool, err error) {
	v = strings.TrimSpace(v)
	v = strings.TrimSuffix(strings.TrimSuffix(v, "Z"), "z")
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, false, nil
		}
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, true, nil
	}
	return time.Time{}, false, errRangeFormat
}

// slotTime renders minutes after midnight on the fixed date 1976-01-01, as
// Nexudus does for time slots (nexudus.md §3.4, [S47]).
func slotTime(minutes int) jtime {
	return jtime{naive: time.Date(1976, 1, 1, minutes/60, minutes%60, 0, 0, time.UTC)}
}

// webhookTime formats a UTC time with 7 fractional digits and Z (nexudus.md §2).
func webhookTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

// webhookExpiry formats an expires_on value: UTC ISO with Z.
func webhookExpiry(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}
