package nexudus_test

import (
	"testing"
	"time"

	"github.com/lockhub/lockhub/sync/nexudus"
)

// tenantBooking is one booking as truth (UTC instants), rendered by the fake
// in either time mode.
type tenantBooking struct {
	id             int
	from, to, upd  time.Time
	checkOnlyInUTC bool // its local time is ambiguous (fall-back hour)
}

func renderBookings(mode string, loc *time.Location, bs []tenantBooking) []map[string]any {
	const wall = "2006-01-02T15:04:05"
	var out []map[string]any
	for _, b := range bs {
		field := func(t time.Time) string {
			if mode == "utc" {
				return t.UTC().Format(wall) + "Z"
			}
			return t.In(loc).Format(wall) + "Z" // the fake Z of the wall-clock tenants (Q8)
		}
		out = append(out, map[string]any{
			"Id": b.id, "ResourceId": 310, "CoworkerId": 88412, "Tentative": false,
			"FromTime": field(b.from), "ToTime": field(b.to),
			"FromTimeLocal": b.from.In(loc).Format(wall), "ToTimeLocal": b.to.In(loc).Format(wall),
			"UpdatedOn": field(b.upd),
		})
	}
	return out
}

func TestBothTimeModesAcrossDSTChanges(t *testing.T) {
	london := mustZone(t, "Europe/London")
	u := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	truth := []tenantBooking{
		// 2025-03-30: clocks go forward at 01:00 UTC.
		{id: 1, from: u("2025-03-30T00:15:00Z"), to: u("2025-03-30T00:45:00Z"), upd: u("2025-03-01T08:00:00Z")}, // GMT, offset 0
		{id: 2, from: u("2025-03-30T09:00:00Z"), to: u("2025-03-30T10:00:00Z"), upd: u("2025-03-02T08:00:00Z")}, // BST
		// 2025-10-26: clocks go back at 01:00 UTC; 01:30 local happens twice.
		{id: 3, from: u("2025-10-26T00:30:00Z"), to: u("2025-10-26T02:30:00Z"), upd: u("2025-06-01T08:00:00Z"), checkOnlyInUTC: true},
		{id: 4, from: u("2025-07-01T08:00:00Z"), to: u("2025-07-01T16:00:00Z"), upd: u("2025-07-01T12:00:00Z")},
	}
	for _, tc := range []struct {
		mode       string
		want       nexudus.TimeMode
		cursor     string
		filterFrom string
	}{
		{"utc", nexudus.TimeModeUTC, "2025-07-01T11:50", "2025-07-01T08:00"},
		{"wallclock", nexudus.TimeModeWallclock, "2025-07-01T12:50", "2025-07-01T09:00"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			f := newFakeNexudus(t)
			f.set(nexudus.PathBookings, renderBookings(tc.mode, london, truth))
			c := f.client(t, newFakeClock(), nexudus.Config{Location: london})
			if got := c.TimeMode(); got != nexudus.TimeModeUnknown {
				t.Fatalf("TimeMode before any booking = %v, want unknown", got)
			}
			all, err := c.ListBookings(t.Context(), nexudus.Query{})
			if err != nil {
				t.Fatal(err)
			}
			mode := c.TimeMode()
			if mode != tc.want {
				t.Fatalf("TimeMode = %v, want %v", mode, tc.want)
			}
			var cur nexudus.Cursor
			for i, b := range all {
				cur.Observe(b.UpdatedOn)
				tb := truth[i]
				if tb.checkOnlyInUTC && mode != nexudus.TimeModeUTC {
					continue
				}
				if s, e := b.Start(mode, london), b.End(mode, london); !s.Equal(tb.from) || !e.Equal(tb.to) {
					t.Errorf("booking %d = [%v, %v), want [%v, %v)", b.ID, s.UTC(), e.UTC(), tb.from, tb.to)
				}
				if up := b.UpdatedOn.Instant(mode, london); !up.Equal(tb.upd) {
					t.Errorf("booking %d UpdatedOn = %v, want %v", b.ID, up.UTC(), tb.upd)
				}
			}
			if got := c.CursorValue(&cur, 0); got != tc.cursor {
				t.Errorf("cursor = %q, want %q", got, tc.cursor)
			}
			// A filter built from an instant must land in the tenant's frame.
			at := u("2025-07-01T08:00:00Z")
			if got := c.FilterTime(at); got != tc.filterFrom {
				t.Fatalf("FilterTime = %q, want %q", got, tc.filterFrom)
			}
			some, err := c.ListBookings(t.Context(), nexudus.Query{}.
				From(nexudus.EntityBooking, "FromTime", c.FilterTime(at)).
				To(nexudus.EntityBooking, "FromTime", c.FilterTime(at)))
			if err != nil || len(some) != 1 || some[0].ID != 4 {
				t.Fatalf("bookings starting at %v = %+v, %v; want booking 4 only", at, some, err)
			}
		})
	}
}

func TestForcedTimeMode(t *testing.T) {
	f := newFakeNexudus(t)
	paris := mustZone(t, "Europe/Paris")
	f.set(nexudus.PathBookings, []map[string]any{{"Id": 1, "FromTime": "2025-07-01T09:00:00Z", "FromTimeLocal": "2025-07-01T11:00:00"}})
	c := f.client(t, newFakeClock(), nexudus.Config{Location: paris, TimeMode: nexudus.TimeModeWallclock})
	if _, err := c.ListBookings(t.Context(), nexudus.Query{}); err != nil {
		t.Fatal(err)
	}
	if got := c.TimeMode(); got != nexudus.TimeModeWallclock {
		t.Fatalf("TimeMode = %v, want the configured wallclock", got)
	}
	for _, s := range []string{"utc", "wallclock", "auto", ""} {
		if _, err := nexudus.ParseTimeMode(s); err != nil {
			t.Errorf("ParseTimeMode(%q): %v", s, err)
		}
	}
	if _, err := nexudus.ParseTimeMode("local"); err == nil {
		t.Error("ParseTimeMode(local) succeeded")
	}
}
