package policy

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Days is a set of weekdays, bit i standing for time.Weekday(i).
type Days uint8

// AllDays is every day of the week.
const AllDays Days = 1<<7 - 1

// Has reports whether d contains the weekday.
func (d Days) Has(w time.Weekday) bool { return d&(1<<uint(w)) != 0 }

// With returns d with the weekday added.
func (d Days) With(w time.Weekday) Days { return d | 1<<uint(w) }

// MinutesPerDay is the largest End of a window (24:00).
const MinutesPerDay = 24 * 60

// Window is a weekly time window in the domain's wall-clock time: on each of
// Days, from Start (inclusive) to End (exclusive), in minutes after local
// midnight. A window whose End is not after its Start spans midnight: it runs
// from Start on a listed day to End on the next day (22:00–06:00 listed on
// Friday covers Friday 22:00 to Saturday 06:00).
type Window struct {
	Days  Days
	Start uint16 // 0..1439
	End   uint16 // 1..1440
}

// SpansMidnight reports whether the window ends on the next day.
func (w Window) SpansMidnight() bool { return w.End <= w.Start }

// Validate reports a window that cannot be evaluated.
func (w Window) Validate() error {
	switch {
	case w.Days == 0 || w.Days&^AllDays != 0:
		return errors.New("window has no valid days")
	case w.Start >= MinutesPerDay:
		return fmt.Errorf("window start %d is not a time of day", w.Start)
	case w.End == 0 || w.End > MinutesPerDay:
		return fmt.Errorf("window end %d is not a time of day (use 24:00 for the end of the day)", w.End)
	case w.Start == w.End:
		return errors.New("window is empty: start equals end")
	}
	return nil
}

// contains reports whether the window is open at weekday wd, minute m.
func (w Window) contains(wd time.Weekday, m uint16) bool {
	if !w.SpansMidnight() {
		return w.Days.Has(wd) && m >= w.Start && m < w.End
	}
	if w.Days.Has(wd) && m >= w.Start {
		return true
	}
	return w.Days.Has((wd+6)%7) && m < w.End
}

// Date is a calendar date as yyyymmdd (20261225).
type Date int32

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date(y*10000 + int(m)*100 + d)
}

// ParseDate reads a date written as YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("parse date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", int(d)/10000, int(d)/100%100, int(d)%100)
}

// Schedule is an access's time restriction. With no windows the access is
// open at all times except holidays. Holidays are whole calendar days in the
// domain's zone on which the access is closed; they must be sorted (see
// NewSchedule).
type Schedule struct {
	Windows  []Window
	Holidays []Date
}

// NewSchedule validates the windows and returns a schedule with its holidays
// sorted and deduplicated.
func NewSchedule(windows []Window, holidays []Date) (Schedule, error) {
	for i, w := range windows {
		if err := w.Validate(); err != nil {
			return Schedule{}, fmt.Errorf("window %d: %w", i, err)
		}
	}
	h := slices.Clone(holidays)
	slices.Sort(h)
	h = slices.Compact(h)
	return Schedule{Windows: slices.Clone(windows), Holidays: h}, nil
}

// ScheduleResult is the outcome of evaluating a schedule at an instant.
type ScheduleResult uint8

// Schedule results.
const (
	ScheduleOpen    ScheduleResult = iota // inside a window (or no windows)
	ScheduleClosed                        // outside every window
	ScheduleHoliday                       // the local date is a holiday
)

// At evaluates the schedule at t in zone. It allocates nothing.
func (s *Schedule) At(t time.Time, zone *time.Location) ScheduleResult {
	return s.at(localTimeOf(t, zone))
}

// localTime is an instant as a schedule sees it: its local date, weekday
// and minute of the day.
type localTime struct {
	date   Date
	day    time.Weekday
	minute uint16
}

func localTimeOf(t time.Time, zone *time.Location) localTime {
	local := t.In(zone)
	return localTime{
		date:   DateOf(local),
		day:    local.Weekday(),
		minute: uint16(local.Hour()*60 + local.Minute()),
	}
}

func (s *Schedule) at(lt localTime) ScheduleResult {
	if len(s.Holidays) > 0 {
		if _, found := slices.BinarySearch(s.Holidays, lt.date); found {
			return ScheduleHoliday
		}
	}
	if len(s.Windows) == 0 {
		return ScheduleOpen
	}
	for _, w := range s.Windows {
		if w.contains(lt.day, lt.minute) {
			return ScheduleOpen
		}
	}
	return ScheduleClosed
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseDays reads day names ("mon", "tue", ..., or ranges "mon-fri"; "all",
// "weekdays" and "weekends" too) into a set.
func ParseDays(names []string) (Days, error) {
	var d Days
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		switch n {
		case "all", "daily":
			d |= AllDays
			continue
		case "weekdays":
			d |= 0b0111110
			continue
		case "weekends":
			d |= 0b1000001
			continue
		}
		if a, b, ok := strings.Cut(n, "-"); ok {
			from, ok1 := dayNames[a]
			to, ok2 := dayNames[b]
			if !ok1 || !ok2 {
				return 0, fmt.Errorf("unknown day range %q (use e.g. mon-fri)", n)
			}
			for w := from; ; w = (w + 1) % 7 {
				d = d.With(w)
				if w == to {
					break
				}
			}
			continue
		}
		w, ok := dayNames[n]
		if !ok {
			return 0, fmt.Errorf("unknown day %q (use sun, mon, tue, wed, thu, fri, sat)", n)
		}
		d = d.With(w)
	}
	if d == 0 {
		return 0, errors.New("no days given")
	}
	return d, nil
}

// ParseClock reads a wall-clock time HH:MM (00:00 to 24:00) as minutes after
// midnight.
func ParseClock(s string) (uint16, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 || !isDigits(h) || !isDigits(m) {
		return 0, fmt.Errorf("time %q: want HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("time %q: want HH:MM between 00:00 and 24:00", s)
	}
	return uint16(hh*60 + mm), nil
}

// isDigits reports whether s is all ASCII digits (strconv.Atoi alone would
// also take a sign).
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
