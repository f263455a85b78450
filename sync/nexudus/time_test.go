package nexudus_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/lockhub/lockhub/sync/nexudus"
)

func TestParseTime(t *testing.T) {
	paris := time.FixedZone("", 3600)
	for _, tc := range []struct {
		in      string
		wall    time.Time // fields as written
		zone    bool
		instant time.Time // Instant(TimeModeUTC, nil)
		str     string
	}{
		{"2025-03-04T10:00:00Z", time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC), true, time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC), "2025-03-04T10:00:00Z"},
		{"2025-03-04T10:00:00", time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC), false, time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC), "2025-03-04T10:00:00"},
		{"2025-03-04T08:44:10.1234567Z", time.Date(2025, 3, 4, 8, 44, 10, 123456700, time.UTC), true, time.Date(2025, 3, 4, 8, 44, 10, 123456700, time.UTC), "2025-03-04T08:44:10.1234567Z"},
		{"2025-03-04T08:44:10.5", time.Date(2025, 3, 4, 8, 44, 10, 500000000, time.UTC), false, time.Date(2025, 3, 4, 8, 44, 10, 500000000, time.UTC), "2025-03-04T08:44:10.5"},
		{"2025-03-04T11:00:00+01:00", time.Date(2025, 3, 4, 11, 0, 0, 0, time.UTC), true, time.Date(2025, 3, 4, 11, 0, 0, 0, paris), "2025-03-04T11:00:00+01:00"},
		{"2025-03-04T11:00:00.25-0530", time.Date(2025, 3, 4, 11, 0, 0, 250000000, time.UTC), true, time.Date(2025, 3, 4, 16, 30, 0, 250000000, time.UTC), "2025-03-04T11:00:00.25-05:30"},
		{"2025-03-04T10:00", time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC), false, time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC), "2025-03-04T10:00:00"},
		{"2025-03-04 10:00:00", time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC), false, time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC), "2025-03-04T10:00:00"},
		{"2025-03-04", time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC), false, time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC), "2025-03-04T00:00:00"},
		{"2024-02-29T23:59:59.999999999Z", time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC), true, time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC), "2024-02-29T23:59:59.999999999Z"},
	} {
		got, err := nexudus.ParseTime(tc.in)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tc.in, err)
			continue
		}
		if !got.Wall().Equal(tc.wall) || got.HasZone() != tc.zone || !got.Instant(nexudus.TimeModeUTC, nil).Equal(tc.instant) || got.String() != tc.str {
			t.Errorf("ParseTime(%q) = wall %v zone %v instant %v str %q; want %v %v %v %q",
				tc.in, got.Wall(), got.HasZone(), got.Instant(nexudus.TimeModeUTC, nil), got.String(), tc.wall, tc.zone, tc.instant, tc.str)
		}
	}
}

func TestParseTimeZeroAndErrors(t *testing.T) {
	for _, in := range []string{"", "0001-01-01T00:00:00", "0001-01-01T00:00:00Z"} {
		if got, err := nexudus.ParseTime(in); err != nil || !got.IsZero() {
			t.Errorf("ParseTime(%q) = %v, %v; want the zero Time", in, got, err)
		}
	}
	for _, in := range []string{
		"2025-02-30T10:00:00", "2025-13-01", "2025-03-04T24:00:00", "2025-03-04T10:60", "2025-03-04T10:00:61",
		"2025-3-4", "20250304", "2025-03-04T10", "2025-03-04T10:00:00.", "2025-03-04T10:00:00.1234567890",
		"2025-03-04T10:00:00+25:00", "2025-03-04T10:00:00+01:00:00", "2025-03-04T10:00:00 UTC", "yesterday",
		"2025-03-04T10:00:00ZZ", "-2025-03-04",
	} {
		if _, err := nexudus.ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) succeeded, want an error", in)
		}
	}
}

func TestTimeJSON(t *testing.T) {
	var v struct{ A, B, C nexudus.Time }
	if err := json.Unmarshal([]byte(`{"A":"2025-03-04T10:00:00Z","B":null,"C":""}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "2025-03-04T10:00:00Z" || !v.B.IsZero() || !v.C.IsZero() {
		t.Fatalf("decoded %+v", v)
	}
	out, err := json.Marshal(v)
	if err != nil || string(out) != `{"A":"2025-03-04T10:00:00Z","B":null,"C":null}` {
		t.Fatalf("Marshal = %s, %v", out, err)
	}
	for _, bad := range []string{`{"A":17}`, `{"A":"soon"}`, `{"A":{}}`, `{"A":true}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Unmarshal(%s) succeeded, want an error", bad)
		}
	}
}

func TestDetectTimeMode(t *testing.T) {
	london := mustZone(t, "Europe/London")
	ny := mustZone(t, "America/New_York")
	p := nexudus.MustParseTime
	for _, tc := range []struct {
		name         string
		field, local string
		loc          *time.Location
		want         nexudus.TimeMode
	}{
		{"utc, summer", "2025-07-01T09:00:00Z", "2025-07-01T10:00:00", london, nexudus.TimeModeUTC},
		{"utc without Z", "2025-07-01T09:00:00", "2025-07-01T10:00:00", london, nexudus.TimeModeUTC},
		{"wallclock with fake Z", "2025-07-01T10:00:00Z", "2025-07-01T10:00:00", london, nexudus.TimeModeWallclock},
		{"wallclock without Z", "2025-07-01T10:00:00", "2025-07-01T10:00:00", london, nexudus.TimeModeWallclock},
		{"winter London is offset 0: undecidable", "2025-01-15T10:00:00Z", "2025-01-15T10:00:00", london, nexudus.TimeModeUnknown},
		{"utc, New York winter", "2025-01-15T15:00:00Z", "2025-01-15T10:00:00", ny, nexudus.TimeModeUTC},
		{"explicit offset", "2025-07-01T10:00:00+01:00", "2025-07-01T10:00:00", london, nexudus.TimeModeUTC},
		{"inconsistent", "2025-07-01T07:00:00Z", "2025-07-01T10:00:00", london, nexudus.TimeModeUnknown},
		{"missing local", "2025-07-01T09:00:00Z", "", london, nexudus.TimeModeUnknown},
		// DST change days (London: 2025-03-30 01:00 UTC forward, 2025-10-26 01:00 UTC back).
		{"spring-forward day, after the change", "2025-03-30T09:00:00Z", "2025-03-30T10:00:00", london, nexudus.TimeModeUTC},
		{"spring-forward day, before the change", "2025-03-30T00:30:00Z", "2025-03-30T00:30:00", london, nexudus.TimeModeUnknown},
		{"fall-back day, first 01:30 (BST)", "2025-10-26T00:30:00Z", "2025-10-26T01:30:00", london, nexudus.TimeModeUTC},
		{"fall-back day, wall clock", "2025-10-26T09:00:00Z", "2025-10-26T09:00:00", london, nexudus.TimeModeUnknown},
		{"spring-forward gap is no wall clock", "2025-03-30T01:30:00", "2025-03-30T01:30:00", london, nexudus.TimeModeUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := nexudus.DetectTimeMode(p(tc.field), p(tc.local), tc.loc); got != tc.want {
				t.Fatalf("DetectTimeMode(%s, %s) = %v, want %v", tc.field, tc.local, got, tc.want)
			}
		})
	}
}

func TestCursorFormat(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	p := nexudus.MustParseTime
	for _, tc := range []struct {
		name    string
		seen    []string
		overlap time.Duration
		mode    nexudus.TimeMode
		loc     *time.Location
		want    string
	}{
		{"nothing seen: full sync", nil, 0, nexudus.TimeModeUTC, paris, ""},
		{"utc, default 10 min", []string{"2025-03-04T10:05:00Z", "2025-03-04T12:31:59.9Z", "2025-03-01T00:00:00Z"}, 0, nexudus.TimeModeUTC, paris, "2025-03-04T12:21"},
		{"utc value, no Z", []string{"2025-03-04T12:31:00"}, 0, nexudus.TimeModeUTC, paris, "2025-03-04T12:21"},
		{"wallclock stays in the location's frame", []string{"2025-03-04T12:31:00Z"}, 0, nexudus.TimeModeWallclock, paris, "2025-03-04T12:21"},
		{"unknown: server frame", []string{"2025-03-04T12:31:00"}, 0, nexudus.TimeModeUnknown, paris, "2025-03-04T12:21"},
		{"custom overlap crosses midnight", []string{"2025-03-04T00:20:00Z"}, time.Hour, nexudus.TimeModeUTC, paris, "2025-03-03T23:20"},
		// 2025-03-30 Paris jumps 02:00 → 03:00: 03:05 local − 10 min is 01:55 local.
		{"wallclock across the DST jump", []string{"2025-03-30T03:05:00"}, 0, nexudus.TimeModeWallclock, paris, "2025-03-30T01:55"},
		{"utc across the DST jump", []string{"2025-03-30T01:05:00Z"}, 0, nexudus.TimeModeUTC, paris, "2025-03-30T00:55"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c nexudus.Cursor
			for _, s := range tc.seen {
				c.Observe(p(s))
			}
			if got := c.Format(tc.overlap, tc.mode, tc.loc); got != tc.want {
				t.Fatalf("Format = %q, want %q", got, tc.want)
			}
		})
	}
	c := nexudus.NewCursor(p("2025-03-04T12:00:00Z"))
	c.Observe(p("2025-03-04T11:00:00Z"))
	if c.Max().String() != "2025-03-04T12:00:00Z" {
		t.Fatalf("Max = %s, want the saved cursor", c.Max())
	}
}

func TestFormatFilterTime(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	at := time.Date(2025, 3, 9, 7, 30, 59, 0, time.UTC) // 03:30 EDT, just after the jump
	if got := nexudus.FormatFilterTime(at, nexudus.TimeModeUTC, ny); got != "2025-03-09T07:30" {
		t.Errorf("utc = %s", got)
	}
	if got := nexudus.FormatFilterTime(at, nexudus.TimeModeWallclock, ny); got != "2025-03-09T03:30" {
		t.Errorf("wallclock = %s", got)
	}
}
