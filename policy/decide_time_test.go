package policy_test

import (
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

// TestDecideSchedules covers weekly windows, windows spanning midnight,
// holidays and both DST changes of 2026 in Stockholm and New York.
func TestDecideSchedules(t *testing.T) { runDecideCases(t, timeCases(t)) }

func timeCases(t testing.TB) []decideCase {
	sto, nyc := zone(t, "Europe/Stockholm"), zone(t, "America/New_York")
	const cet, cest, est, edt = 3600, 7200, -18000, -14400
	A, O, H := policy.ReasonAllowed, policy.ReasonOutsideSchedule, policy.ReasonHoliday
	var cases []decideCase
	// add appends one case per instant for a grant of access to alice (sto)
	// or nora (nyc).
	add := func(access string, want policy.Reason, name string, nows ...time.Time) {
		member, lock, credName := "alice", "front", "alice-card"
		if access[:3] == "ny-" {
			member, lock, credName = "nora", "ny-door", "nora-card"
		}
		for _, now := range nows {
			cases = append(cases, decideCase{
				name:   access + " " + name + " " + now.Format("2006-01-02T15:04Z07:00"),
				now:    now,
				req:    by(t, lock, credName),
				grants: []policy.Grant{grant("g", member, access)},
				want:   want, member: member, grant: "g",
			})
		}
	}
	s := func(y int, mo time.Month, d, h, mi int) time.Time { return at(t, sto, y, mo, d, h, mi) }
	n := func(y int, mo time.Month, d, h, mi int) time.Time { return at(t, nyc, y, mo, d, h, mi) }
	const jun, dec, mar, oct, nov = time.June, time.December, time.March, time.October, time.November

	// Plain weekday window, edges: Start inclusive, End exclusive.
	add("office", A, "inside", s(2026, jun, 10, 8, 0), s(2026, jun, 10, 12, 0), s(2026, jun, 10, 17, 59), s(2026, jun, 12, 8, 0))
	add("office", O, "outside", s(2026, jun, 10, 7, 59), s(2026, jun, 10, 18, 0), s(2026, jun, 13, 10, 0), s(2026, jun, 14, 10, 0))
	add("office", O, "outside", s(2026, jun, 10, 0, 0), s(2026, jun, 10, 23, 59))
	// Holidays: whole local calendar days, checked before the windows.
	add("office", H, "holiday", s(2026, dec, 25, 10, 0), s(2026, dec, 25, 7, 0), s(2026, dec, 25, 20, 0))
	add("office", A, "day before holiday", s(2026, dec, 24, 10, 0))
	add("closed-xmas", H, "holiday", s(2026, dec, 25, 0, 0), s(2026, dec, 25, 23, 59), utc(2026, dec, 24, 23, 30))
	add("closed-xmas", A, "around holiday", s(2026, dec, 24, 23, 59), s(2026, dec, 26, 0, 0), utc(2026, dec, 25, 23, 30))

	// Midnight: Fri 22:00 -> Sat 06:00, both sides.
	add("fri-night", A, "friday side", s(2026, jun, 12, 22, 0), s(2026, jun, 12, 23, 59))
	add("fri-night", A, "saturday side", s(2026, jun, 13, 0, 0), s(2026, jun, 13, 5, 59))
	add("fri-night", O, "outside", s(2026, jun, 12, 21, 59), s(2026, jun, 13, 6, 0), s(2026, jun, 11, 23, 0), s(2026, jun, 13, 23, 0), s(2026, jun, 12, 5, 0))
	// Sunday -> Monday and Saturday -> Sunday wraps of the weekday.
	add("sun-night", A, "wrap", s(2026, jun, 14, 23, 30), s(2026, jun, 15, 0, 0), s(2026, jun, 15, 5, 0))
	add("sun-night", O, "wrap outside", s(2026, jun, 15, 6, 0), s(2026, jun, 14, 5, 0), s(2026, jun, 13, 23, 0), s(2026, jun, 14, 21, 59))
	add("sat-night", A, "wrap", s(2026, jun, 13, 22, 0), s(2026, jun, 14, 3, 0))
	add("sat-night", O, "wrap outside", s(2026, jun, 15, 3, 0), s(2026, jun, 14, 22, 0))
	// A holiday is a local calendar date, also inside a spanning window.
	add("midsummer-day", A, "first half before holiday", s(2026, jun, 19, 23, 0), s(2026, jun, 19, 23, 59))
	add("midsummer-day", H, "second half on holiday", s(2026, jun, 20, 0, 0), s(2026, jun, 20, 2, 0))
	add("midsummer-day", A, "a week later", s(2026, jun, 27, 2, 0))
	add("midsummer-eve", H, "first half on holiday", s(2026, jun, 19, 23, 0))
	add("midsummer-eve", A, "second half after holiday", s(2026, jun, 20, 0, 0), s(2026, jun, 20, 2, 0))

	// Stockholm spring forward, Sun 2026-03-29 02:00 CET -> 03:00 CEST: a
	// 02:00-03:00 window does not happen that day.
	add("sto-0200", A, "week before", s(2026, mar, 22, 2, 30))
	add("sto-0200", O, "spring gap", utc(2026, mar, 29, 0, 59), utc(2026, mar, 29, 1, 0), s(2026, mar, 29, 3, 30))
	// Stockholm fall back, Sun 2026-10-25 03:00 CEST -> 02:00 CET: 02:xx
	// happens twice, the window is open both times.
	add("sto-0200", A, "fall twice", atOffset(t, sto, 2026, oct, 25, 2, 30, cest), atOffset(t, sto, 2026, oct, 25, 2, 30, cet),
		atOffset(t, sto, 2026, oct, 25, 2, 0, cest), atOffset(t, sto, 2026, oct, 25, 2, 59, cet))
	add("sto-0200", O, "fall edges", atOffset(t, sto, 2026, oct, 25, 1, 59, cest), atOffset(t, sto, 2026, oct, 25, 3, 0, cet))
	// 08:00-18:00 right after the changes follows the wall clock.
	add("sto-day", A, "after spring", utc(2026, mar, 29, 6, 0), utc(2026, mar, 30, 6, 0), utc(2026, mar, 30, 15, 59))
	add("sto-day", O, "after spring", utc(2026, mar, 29, 5, 59), utc(2026, mar, 30, 5, 59), utc(2026, mar, 30, 16, 0))
	add("sto-day", A, "after fall", utc(2026, oct, 25, 7, 0), utc(2026, oct, 26, 7, 0), utc(2026, oct, 26, 16, 59))
	add("sto-day", O, "after fall", utc(2026, oct, 25, 6, 30), utc(2026, oct, 26, 6, 59), utc(2026, oct, 26, 17, 0))
	// A spanning window across the changes: Sat 22:00 -> Sun 06:00.
	add("sat-night", A, "across spring", utc(2026, mar, 28, 21, 0), utc(2026, mar, 29, 1, 30), utc(2026, mar, 29, 3, 59))
	add("sat-night", O, "across spring", utc(2026, mar, 28, 20, 59), utc(2026, mar, 29, 4, 0))
	add("sat-night", A, "across fall", atOffset(t, sto, 2026, oct, 25, 2, 30, cest), atOffset(t, sto, 2026, oct, 25, 2, 30, cet), utc(2026, oct, 25, 4, 59))
	add("sat-night", O, "across fall", utc(2026, oct, 25, 5, 0))

	// New York spring forward, Sun 2026-03-08 02:00 EST -> 03:00 EDT.
	add("ny-0200", A, "week before", n(2026, mar, 1, 2, 30))
	add("ny-0200", O, "spring gap", utc(2026, mar, 8, 6, 59), utc(2026, mar, 8, 7, 0), n(2026, mar, 8, 3, 30))
	add("ny-0200", A, "fall", n(2026, nov, 1, 2, 0), n(2026, nov, 1, 2, 59))
	// New York fall back, Sun 2026-11-01 02:00 EDT -> 01:00 EST: 01:30
	// happens twice.
	add("ny-0100", A, "fall twice", atOffset(t, nyc, 2026, nov, 1, 1, 30, edt), atOffset(t, nyc, 2026, nov, 1, 1, 30, est),
		atOffset(t, nyc, 2026, nov, 1, 1, 0, edt), atOffset(t, nyc, 2026, nov, 1, 1, 59, est))
	add("ny-0100", O, "fall edges", atOffset(t, nyc, 2026, nov, 1, 0, 59, edt), utc(2026, nov, 1, 7, 0))
	add("ny-day", A, "after spring", utc(2026, mar, 8, 12, 0), utc(2026, mar, 9, 12, 0), utc(2026, mar, 9, 21, 59))
	add("ny-day", O, "after spring", utc(2026, mar, 8, 11, 30), utc(2026, mar, 9, 11, 59), utc(2026, mar, 9, 22, 0))
	add("ny-day", A, "after fall", utc(2026, nov, 1, 13, 0), utc(2026, nov, 2, 13, 0), utc(2026, nov, 2, 22, 59))
	add("ny-day", O, "after fall", utc(2026, nov, 2, 12, 59), utc(2026, nov, 2, 23, 0))
	return cases
}

// TestDecideDSTWindowLength sweeps the DST change days minute by minute and
// counts how long a one-hour window in the changing hour is open: not at all
// on the spring-forward day, two hours on the fall-back day.
func TestDecideDSTWindowLength(t *testing.T) {
	tests := []struct {
		access, lock, cred, member string
		from                       time.Time
		wantOpen                   time.Duration
	}{
		{"sto-0200", "front", "alice-card", "alice", utc(2026, time.March, 28, 22, 0), 0},
		{"sto-0200", "front", "alice-card", "alice", utc(2026, time.October, 24, 22, 0), 2 * time.Hour},
		{"sto-0200", "front", "alice-card", "alice", utc(2026, time.June, 13, 22, 0), time.Hour},
		{"ny-0200", "ny-door", "nora-card", "nora", utc(2026, time.March, 8, 3, 0), 0},
		{"ny-0100", "ny-door", "nora-card", "nora", utc(2026, time.November, 1, 3, 0), 2 * time.Hour},
		{"ny-0100", "ny-door", "nora-card", "nora", utc(2026, time.March, 8, 3, 0), time.Hour},
	}
	for _, tc := range tests {
		v := fixture(t)
		v.addGrant(grant("g", tc.member, tc.access))
		req := by(t, tc.lock, tc.cred)
		var open time.Duration
		for now := tc.from; now.Before(tc.from.Add(8 * time.Hour)); now = now.Add(time.Minute) {
			d := policy.Decide(now, req, v)
			switch d.Reason {
			case policy.ReasonAllowed:
				open += time.Minute
			case policy.ReasonOutsideSchedule:
			default:
				t.Fatalf("Decide(%v) = %v, want allowed or outside_schedule", reqString(now, req), d.Reason)
			}
		}
		if open != tc.wantOpen {
			t.Errorf("%s from %v: open %v, want %v", tc.access, tc.from, open, tc.wantOpen)
		}
	}
}
