package nexudus

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"time"
)

// zone kinds of a Time: what the text carried after the clock.
const (
	zoneNone   uint8 = iota // "2025-03-04T10:00:00": wall clock of some frame
	zoneZ                   // "...Z": UTC, or a fake Z on a wall clock (Q8)
	zoneOffset              // "...+01:00": an instant
)

// Time is a Nexudus timestamp as sent (nexudus.md §4): a date and a clock,
// with or without a fraction (up to 9 digits; Nexudus sends 7), and with a
// "Z", a numeric offset, or nothing. Whether a value without an offset is UTC
// or the location's wall clock depends on the tenant (Q8), so Time keeps the
// fields as written and converts only when told the mode: see Instant.
//
// The zero Time is "no value": JSON null, "" and .NET's DateTime.MinValue
// ("0001-01-01T00:00:00") all decode to it.
type Time struct {
	t    time.Time // fields as written; location UTC, or a fixed zone for zoneOffset
	zone uint8
}

// ParseTime parses a Nexudus timestamp: YYYY-MM-DD, optionally followed by
// "T" (or a space) and hh:mm[:ss[.fraction]], optionally followed by "Z" or
// an offset ±hh:mm, ±hhmm or ±hh.
func ParseTime(s string) (Time, error) {
	if s == "" {
		return Time{}, nil
	}
	bad := func(why string) (Time, error) {
		return Time{}, fmt.Errorf("parse time %q: %s", truncate(s, 40), why)
	}
	p := s
	num := func(n int) (int, bool) {
		if len(p) < n {
			return 0, false
		}
		v := 0
		for i := range n {
			c := p[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		p = p[n:]
		return v, true
	}
	lit := func(c byte) bool {
		if len(p) > 0 && p[0] == c {
			p = p[1:]
			return true
		}
		return false
	}
	year, ok1 := num(4)
	ok2 := lit('-')
	month, ok3 := num(2)
	ok4 := lit('-')
	day, ok5 := num(2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return bad("want YYYY-MM-DD")
	}
	var hour, minute, sec, nsec int
	if len(p) > 0 && (p[0] == 'T' || p[0] == 't' || p[0] == ' ') {
		p = p[1:]
		var okh, okc, okm bool
		hour, okh = num(2)
		okc = lit(':')
		minute, okm = num(2)
		if !(okh && okc && okm) {
			return bad("want hh:mm after the date")
		}
		if lit(':') {
			var ok bool
			if sec, ok = num(2); !ok {
				return bad("want two-digit seconds")
			}
			if lit('.') || lit(',') {
				digits := 0
				for len(p) > 0 && p[0] >= '0' && p[0] <= '9' {
					if digits < 9 {
						nsec = nsec*10 + int(p[0]-'0')
					}
					digits++
					p = p[1:]
				}
				if digits == 0 || digits > 9 {
					return bad("want 1 to 9 fraction digits")
				}
				for i := digits; i < 9; i++ {
					nsec *= 10
				}
			}
		}
	}
	zone := zoneNone
	loc := time.UTC
	switch {
	case len(p) == 0:
	case p == "Z" || p == "z":
		zone, p = zoneZ, ""
	case p[0] == '+' || p[0] == '-':
		neg := p[0] == '-'
		p = p[1:]
		oh, ok := num(2)
		if !ok {
			return bad("want offset ±hh:mm")
		}
		om := 0
		if len(p) > 0 {
			lit(':')
			if om, ok = num(2); !ok || len(p) != 0 {
				return bad("want offset ±hh:mm")
			}
		}
		if oh > 23 || om > 59 {
			return bad("offset out of range")
		}
		off := (oh*60 + om) * 60
		if neg {
			off = -off
		}
		zone = zoneOffset
		if off != 0 {
			loc = time.FixedZone("", off)
		}
	default:
		return bad("unexpected text after the time")
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return bad("field out of range")
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc)
	if t.Day() != day {
		return bad("no such day")
	}
	if year == 1 && month == 1 && day == 1 && hour == 0 && minute == 0 && sec == 0 && nsec == 0 {
		return Time{}, nil // .NET DateTime.MinValue: "no value"
	}
	return Time{t: t, zone: zone}, nil
}

// MustParseTime is ParseTime for constants in tests and examples; it panics
// on a bad value.
func MustParseTime(s string) Time {
	t, err := ParseTime(s)
	if err != nil {
		panic(err)
	}
	return t
}

// IsZero reports whether t is "no value".
func (t Time) IsZero() bool { return t.t.IsZero() }

// HasZone reports whether the text carried "Z" or an offset.
func (t Time) HasZone() bool { return t.zone != zoneNone }

// Wall returns the date and clock as written, in time.UTC whatever the text
// said about the zone. Two Wall values from the same field family compare in
// the server's frame.
func (t Time) Wall() time.Time {
	if t.zone != zoneOffset {
		return t.t
	}
	y, mo, d := t.t.Date()
	h, mi, s := t.t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.t.Nanosecond(), time.UTC)
}

// Instant converts t to an absolute time. A value with a numeric offset is an
// instant already. Otherwise, in TimeModeWallclock the clock is read in loc
// (a "Z" is then fake, Q8); in TimeModeUTC and TimeModeUnknown it is read as
// UTC. A nil loc means UTC.
func (t Time) Instant(mode TimeMode, loc *time.Location) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	if t.zone == zoneOffset {
		return t.t
	}
	if mode == TimeModeWallclock && loc != nil {
		w := t.t
		return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
	}
	return t.t
}

// String formats t the way Nexudus does: RFC 3339 with up to 7 fraction
// digits, then "Z", an offset, or nothing, as parsed. Zero gives "".
func (t Time) String() string {
	if t.IsZero() {
		return ""
	}
	var b [40]byte
	out := t.t.AppendFormat(b[:0], "2006-01-02T15:04:05.9999999")
	if t.t.Nanosecond()%100 != 0 {
		out = t.t.AppendFormat(b[:0], "2006-01-02T15:04:05.999999999")
	}
	switch t.zone {
	case zoneZ:
		out = append(out, 'Z')
	case zoneOffset:
		out = t.t.AppendFormat(out, "-07:00")
	}
	return string(out)
}

// UnmarshalJSON accepts a string (see ParseTime) or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[Time]()}
	}
	s := b[1 : len(b)-1]
	for _, c := range s {
		if c == '\\' { // never in a timestamp; let encoding/json unescape
			var str string
			if err := json.Unmarshal(b, &str); err != nil {
				return err
			}
			s = []byte(str)
			break
		}
	}
	v, err := ParseTime(string(s))
	if err != nil {
		return &json.UnmarshalTypeError{Value: "string", Type: reflect.TypeFor[Time]()}
	}
	*t = v
	return nil
}

// MarshalJSON writes String, or null for the zero Time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return strconv.AppendQuote(nil, t.String()), nil
}

// jsonKind names the JSON type of a raw value, for errors that must not
// carry the value itself.
func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// truncate shortens s to n bytes for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
