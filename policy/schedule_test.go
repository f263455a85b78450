package policy_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

func days(ws ...time.Weekday) policy.Days {
	var d policy.Days
	for _, w := range ws {
		d = d.With(w)
	}
	return d
}

func TestParseDays(t *testing.T) {
	const (
		sun, mon, tue, wed, thu, fri, sat = time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday
	)
	tests := []struct {
		in   []string
		want policy.Days
		ok   bool
	}{
		{[]string{"mon"}, days(mon), true},
		{[]string{"Mon", " TUE "}, days(mon, tue), true},
		{[]string{"sun", "sat"}, days(sun, sat), true},
		{[]string{"mon-fri"}, days(mon, tue, wed, thu, fri), true},
		{[]string{"fri-mon"}, days(fri, sat, sun, mon), true},
		{[]string{"sat-sun"}, days(sat, sun), true},
		{[]string{"sun-sat"}, policy.AllDays, true},
		{[]string{"wed-wed"}, days(wed), true},
		{[]string{"all"}, policy.AllDays, true},
		{[]string{"daily"}, policy.AllDays, true},
		{[]string{"weekdays"}, days(mon, tue, wed, thu, fri), true},
		{[]string{"weekends"}, days(sat, sun), true},
		{[]string{"weekends", "weekdays"}, policy.AllDays, true},
		{[]string{"mon", "mon"}, days(mon), true},
		{[]string{"thu", "weekends"}, days(thu, sat, sun), true},
		{nil, 0, false},
		{[]string{}, 0, false},
		{[]string{""}, 0, false},
		{[]string{"monday"}, 0, false},
		{[]string{"mon", "funday"}, 0, false},
		{[]string{"mon-"}, 0, false},
		{[]string{"-fri"}, 0, false},
		{[]string{"mon-xyz"}, 0, false},
		{[]string{"mon-tue-wed"}, 0, false},
		{[]string{"mon,tue"}, 0, false},
	}
	for _, tc := range tests {
		got, err := policy.ParseDays(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseDays(%q) = %07b, %v, want %07b (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestDaysHasWith(t *testing.T) {
	var d policy.Days
	for w := time.Sunday; w <= time.Saturday; w++ {
		if d.Has(w) {
			t.Errorf("empty Days has %v", w)
		}
		d = d.With(w)
		if !d.Has(w) {
			t.Errorf("Days.With(%v).Has(%v) = false", w, w)
		}
	}
	if d != policy.AllDays {
		t.Errorf("all seven days = %07b, want AllDays %07b", d, policy.AllDays)
	}
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in   string
		want uint16
		ok   bool
	}{
		{"00:00", 0, true}, {"00:01", 1, true}, {"08:30", 510, true}, {"12:00", 720, true},
		{"23:59", 1439, true}, {"24:00", 1440, true},
		{"24:01", 0, false}, {"25:00", 0, false}, {"08:60", 0, false}, {"99:99", 0, false},
		{"8:30", 0, false}, {"08:3", 0, false}, {"0830", 0, false}, {"08:30:00", 0, false},
		{"", 0, false}, {":", 0, false}, {"ab:cd", 0, false}, {" 8:30", 0, false},
		{"-1:00", 0, false}, {"-0:00", 0, false}, {"+1:00", 0, false}, {"08:+5", 0, false},
		{"08:-0", 0, false}, {"０８:００", 0, false}, {"08.30", 0, false},
	}
	for _, tc := range tests {
		got, err := policy.ParseClock(tc.in)
		if tc.ok != (err == nil) || (tc.ok && got != tc.want) {
			t.Errorf("ParseClock(%q) = %d, %v, want %d (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want policy.Date
		ok   bool
	}{
		{"2026-12-25", 20261225, true}, {"2026-01-01", 20260101, true}, {"2024-02-29", 20240229, true},
		{"0001-01-01", 10101, true},
		{"2026-02-29", 0, false}, {"2026-13-01", 0, false}, {"2026-00-10", 0, false}, {"2026-04-31", 0, false},
		{"26-12-25", 0, false}, {"2026/12/25", 0, false}, {"2026-1-5", 0, false}, {"", 0, false},
		{"2026-12-25T00:00:00Z", 0, false}, {" 2026-12-25", 0, false}, {"christmas", 0, false},
	}
	for _, tc := range tests {
		got, err := policy.ParseDate(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseDate(%q) = %d, %v, want %d (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("ParseDate(%q).String() = %q", tc.in, got.String())
		}
	}
}

func TestDateOf(t *testing.T) {
	sto, nyc := zone(t, "Europe/Stockholm"), zone(t, "America/New_York")
	instant := time.Date(2026, 12, 24, 23, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		loc  *time.Location
		want policy.Date
	}{{time.UTC, 20261224}, {sto, 20261225}, {nyc, 20261224}} {
		if got := policy.DateOf(instant.In(tc.loc)); got != tc.want {
			t.Errorf("DateOf(%v) = %v, want %v", instant.In(tc.loc), got, tc.want)
		}
	}
}

func TestWindowValidate(t *testing.T) {
	tests := []struct {
		w     policy.Window
		ok    bool
		spans bool
	}{
		{policy.Window{Days: policy.AllDays, Start: 0, End: 1440}, true, false},
		{policy.Window{Days: 1, Start: 480, End: 1080}, true, false},
		{policy.Window{Days: 1, Start: 1439, End: 1440}, true, false},
		{policy.Window{Days: 1, Start: 1320, End: 360}, true, true},
		{policy.Window{Days: 1, Start: 1439, End: 1}, true, true},
		{policy.Window{Days: 1, Start: 1, End: 0}, false, true},
		{policy.Window{Days: 0, Start: 0, End: 60}, false, false},
		{policy.Window{Days: 1 << 7, Start: 0, End: 60}, false, false},
		{policy.Window{Days: 0xFF, Start: 0, End: 60}, false, false},
		{policy.Window{Days: 1, Start: 1440, End: 60}, false, true},
		{policy.Window{Days: 1, Start: 0, End: 1441}, false, false},
		{policy.Window{Days: 1, Start: 600, End: 600}, false, true},
	}
	for _, tc := range tests {
		if err := tc.w.Validate(); tc.ok != (err == nil) {
			t.Errorf("%+v.Validate() = %v, want ok %v", tc.w, err, tc.ok)
		}
		if got := tc.w.SpansMidnight(); got != tc.spans {
			t.Errorf("%+v.SpansMidnight() = %v, want %v", tc.w, got, tc.spans)
		}
	}
}

func TestNewSchedule(t *testing.T) {
	ws := []policy.Window{{Days: 1, Start: 0, End: 60}, {Days: 2, Start: 1320, End: 360}}
	hs := []policy.Date{20261225, 20260101, 20261225, 20260619}
	s, err := policy.NewSchedule(ws, hs)
	if err != nil {
		t.Fatalf("NewSchedule: %v", err)
	}
	if want := []policy.Date{20260101, 20260619, 20261225}; !slices.Equal(s.Holidays, want) {
		t.Errorf("NewSchedule holidays = %v, want %v (sorted, deduplicated)", s.Holidays, want)
	}
	if !slices.Equal(s.Windows, ws) {
		t.Errorf("NewSchedule windows = %v, want %v", s.Windows, ws)
	}
	ws[0].Start, hs[0] = 30, 20200101
	if s.Windows[0].Start != 0 || s.Holidays[0] != 20260101 {
		t.Errorf("NewSchedule shares its arguments' memory: %+v", s)
	}
	if s, err := policy.NewSchedule(nil, nil); err != nil || len(s.Windows) != 0 || len(s.Holidays) != 0 {
		t.Errorf("NewSchedule(nil, nil) = %+v, %v, want an empty schedule", s, err)
	}
	_, err = policy.NewSchedule([]policy.Window{{Days: 1, Start: 0, End: 60}, {Days: 1, Start: 5, End: 5}}, nil)
	if err == nil || !strings.Contains(err.Error(), "window 1") {
		t.Errorf("NewSchedule with a bad second window: %v, want an error naming window 1", err)
	}
}

func TestScheduleAt(t *testing.T) {
	sto := zone(t, "Europe/Stockholm")
	s := schedule(t, []policy.Window{window(t, "fri", "22:00", "06:00")}, "2026-06-20")
	tests := []struct {
		t    time.Time
		want policy.ScheduleResult
	}{
		{at(t, sto, 2026, time.June, 12, 22, 0), policy.ScheduleOpen},
		{at(t, sto, 2026, time.June, 13, 5, 59), policy.ScheduleOpen},
		{at(t, sto, 2026, time.June, 13, 6, 0), policy.ScheduleClosed},
		{at(t, sto, 2026, time.June, 19, 23, 0), policy.ScheduleOpen},
		{at(t, sto, 2026, time.June, 20, 1, 0), policy.ScheduleHoliday},
		{at(t, sto, 2026, time.June, 20, 12, 0), policy.ScheduleHoliday},
		// 2026-06-19 22:30 UTC is already the holiday in Stockholm.
		{time.Date(2026, 6, 19, 22, 30, 0, 0, time.UTC), policy.ScheduleHoliday},
		{time.Date(2026, 6, 19, 21, 30, 0, 0, time.UTC), policy.ScheduleOpen},
	}
	for _, tc := range tests {
		if got := s.At(tc.t, sto); got != tc.want {
			t.Errorf("At(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
	open := policy.Schedule{}
	if got := open.At(at(t, sto, 2026, time.March, 29, 3, 0), sto); got != policy.ScheduleOpen {
		t.Errorf("empty schedule At = %v, want open", got)
	}
}
