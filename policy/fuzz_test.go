package policy_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// FuzzCanonical: no panic; a canonical value is a fixed point; card and fob
// ids are whole bytes of upper-case hex; PINs and phone keys are unchanged.
// Seeds: testdata/fuzz/FuzzCanonical.
func FuzzCanonical(f *testing.F) {
	f.Add(uint8(policy.CredCard), "04:a1:b2:c3")
	f.Add(uint8(policy.CredPIN), "0123")
	hexBytes := regexp.MustCompile(`^([0-9A-F]{2})+$`)
	f.Fuzz(func(t *testing.T, typ uint8, raw string) {
		ct := policy.CredentialType(typ % 6)
		got, err := policy.Canonical(ct, raw)
		if err != nil {
			if got != "" {
				t.Fatalf("Canonical(%v, %q) = %q with error %v", ct, raw, got, err)
			}
			return
		}
		again, err := policy.Canonical(ct, got)
		if err != nil || again != got {
			t.Fatalf("Canonical(%v, %q) = %q, but Canonical(%v, %q) = %q, %v", ct, raw, got, ct, got, again, err)
		}
		switch ct {
		case policy.CredCard, policy.CredFob:
			if !hexBytes.MatchString(got) || len(got) > policy.MaxCardIDLen {
				t.Fatalf("Canonical(%v, %q) = %q, want ^([0-9A-F]{2})+$ of at most %d digits", ct, raw, got, policy.MaxCardIDLen)
			}
			if strings.HasPrefix(got, "00") && got != "00" {
				t.Fatalf("Canonical(%v, %q) = %q keeps a leading zero byte", ct, raw, got)
			}
		case policy.CredPIN, policy.CredPhone:
			if got != raw {
				t.Fatalf("Canonical(%v, %q) = %q, want the value unchanged", ct, raw, got)
			}
		default:
			t.Fatalf("Canonical(%v, %q) = %q, want an error for an unknown type", ct, raw, got)
		}
	})
}

// FuzzParseDays: no panic; a result is a non-empty subset of AllDays.
// The input is split on commas into names. Seeds: testdata/fuzz/FuzzParseDays.
func FuzzParseDays(f *testing.F) {
	f.Add("mon-fri,sat")
	f.Fuzz(func(t *testing.T, s string) {
		names := strings.Split(s, ",")
		d, err := policy.ParseDays(names)
		if err != nil {
			if d != 0 {
				t.Fatalf("ParseDays(%q) = %07b with error %v", names, d, err)
			}
			return
		}
		if d == 0 || d&^policy.AllDays != 0 {
			t.Fatalf("ParseDays(%q) = %08b, want a non-empty subset of AllDays", names, d)
		}
		// Each name alone parses to a subset of the whole.
		for _, n := range names {
			one, err := policy.ParseDays([]string{n})
			if err != nil || one&^d != 0 {
				t.Fatalf("ParseDays(%q) = %07b, %v; the whole %q gave %07b", n, one, err, names, d)
			}
		}
	})
}

// FuzzParseClock: no panic; an accepted time is HH:MM between 00:00 and
// 24:00 and prints back as the input. Seeds: testdata/fuzz/FuzzParseClock.
func FuzzParseClock(f *testing.F) {
	f.Add("08:30")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := policy.ParseClock(s)
		if err != nil {
			return
		}
		if m > policy.MinutesPerDay {
			t.Fatalf("ParseClock(%q) = %d, past 24:00", s, m)
		}
		if back := fmt.Sprintf("%02d:%02d", m/60, m%60); back != s {
			t.Fatalf("ParseClock(%q) = %d, which prints as %q", s, m, back)
		}
	})
}

// FuzzScheduleAt: no panic on any valid schedule, zone and instant; the
// result is one of the three results; Holiday exactly when the local date
// is listed; otherwise Open exactly when the brute-force week line says so.
// Seeds: testdata/fuzz/FuzzScheduleAt.
func FuzzScheduleAt(f *testing.F) {
	var zones []*time.Location
	for _, n := range []string{"Europe/Stockholm", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata", "Pacific/Chatham"} {
		zones = append(zones, zone(f, n))
	}
	f.Add(uint8(0b0100000), uint16(1320), uint16(360), uint8(0), uint16(0), uint16(0), int8(1), int8(-9), int64(1774746000), uint8(0))
	f.Fuzz(func(t *testing.T, d1 uint8, s1, e1 uint16, d2 uint8, s2, e2 uint16, h1, h2 int8, unix int64, zi uint8) {
		var ws []policy.Window
		for _, w := range []policy.Window{{Days: policy.Days(d1), Start: s1, End: e1}, {Days: policy.Days(d2), Start: s2, End: e2}} {
			if w.Validate() == nil {
				ws = append(ws, w)
			}
		}
		zone := zones[int(zi)%len(zones)]
		now := time.Unix(unix%(200*365*86400), 0).In(time.UTC) // about 1770 to 2170
		local := now.In(zone)
		// Holidays near the local date (offsets -4..+4; 8 or more: none).
		var hs []policy.Date
		for _, h := range []int8{h1, h2} {
			if h >= -4 && h <= 4 {
				y, m, d := time.Date(local.Year(), local.Month(), local.Day()+int(h), 12, 0, 0, 0, time.UTC).Date()
				hs = append(hs, policy.Date(y*10000+int(m)*100+d))
			}
		}
		s, err := policy.NewSchedule(ws, hs)
		if err != nil {
			t.Fatalf("NewSchedule(%v, %v): %v", ws, hs, err)
		}
		got := s.At(now, zone)
		date, weekday, minute := naiveLocal(now, zone)
		listed := false
		for _, h := range hs {
			listed = listed || int(h) == date
		}
		var want policy.ScheduleResult
		switch {
		case listed:
			want = policy.ScheduleHoliday
		case len(ws) == 0 || naiveWeekLine(ws)[weekday*1440+minute]:
			want = policy.ScheduleOpen
		default:
			want = policy.ScheduleClosed
		}
		if got != want {
			t.Fatalf("Schedule{%+v, %v}.At(%v in %v) = %v, want %v", ws, hs, now, zone, got, want)
		}
	})
}
