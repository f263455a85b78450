package hub

import (
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/internal/events"
)

// TestHealthTracker: a warning shows once its condition has held for its
// time to visible, keeps its start time while set, hides while a warning
// it depends on shows, and sorts most severe first. A nil tracker is safe.
func TestHealthTracker(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tr := newHealthTracker(func() time.Time { return now })
	tr.set(WarnLockOffline, "front-door offline") // 2m to visible
	if ws := tr.visible(); len(ws) != 0 {
		t.Fatalf("visible at once: %+v", ws)
	}
	now = now.Add(time.Minute)
	tr.set(WarnLockOffline, "front-door offline still")
	now = now.Add(61 * time.Second)
	ws := tr.visible()
	if len(ws) != 1 || ws[0].Code != WarnLockOffline || ws[0].Text != "front-door offline still" ||
		!ws[0].Since.Equal(now.Add(-121*time.Second)) {
		t.Fatalf("after 2m1s: %+v", ws)
	}
	tr.set(WarnClockUntrusted, "clock")
	if ws := tr.visible(); len(ws) != 2 || ws[0].Code != WarnClockUntrusted || !critical(ws) {
		t.Fatalf("critical first: %+v", ws)
	}
	tr.clear(WarnClockUntrusted)
	tr.clear(WarnLockOffline)
	if ws := tr.visible(); len(ws) != 0 || critical(ws) {
		t.Fatalf("after clear: %+v", ws)
	}

	// outbox_backlog hides while upload_failing shows.
	tr.set(WarnOutboxBacklog, "backlog")
	tr.set(WarnUploadFailing, "failing")
	now = now.Add(10 * time.Minute)
	if ws := tr.visible(); len(ws) != 1 || ws[0].Code != WarnUploadFailing {
		t.Fatalf("dependent warning not hidden: %+v", ws)
	}
	tr.clear(WarnUploadFailing)
	if ws := tr.visible(); len(ws) != 1 || ws[0].Code != WarnOutboxBacklog {
		t.Fatalf("dependent warning not shown after its parent cleared: %+v", ws)
	}
	tr.setSeverity(WarnGrantsStale, SeverityCritical, "stale")
	tr.set("no_such_code", "x")
	if ws := tr.visible(); len(ws) != 2 || ws[0].Severity != SeverityCritical {
		t.Fatalf("severity override: %+v", ws)
	}

	var nilT *healthTracker
	nilT.set(WarnLockOffline, "x")
	nilT.setSeverity(WarnLockOffline, SeverityCritical, "x")
	nilT.clear(WarnLockOffline)
	if ws := nilT.visible(); ws != nil {
		t.Fatalf("nil tracker: %+v", ws)
	}
}

// TestDecisionRing: per-minute counts for the last hour; minutes older
// than an hour fall out, a reused slot starts from zero.
func TestDecisionRing(t *testing.T) {
	var r decisionRing
	base := time.Date(2026, 11, 23, 10, 0, 30, 0, time.UTC)
	r.add(base, true)
	r.add(base, false)
	r.add(base.Add(-59*time.Minute), true)
	r.add(base.Add(-61*time.Minute), true) // outside the hour
	s := r.series(base)
	if len(s) != chartMinutes || s[59].Granted != 1 || s[59].Denied != 1 || s[0].Granted != 1 {
		t.Fatalf("series: last %+v first %+v", s[59], s[0])
	}
	total := 0
	for _, m := range s {
		total += m.Granted + m.Denied
	}
	if total != 3 {
		t.Errorf("total %d, want 3", total)
	}
	r.add(base.Add(time.Hour), false) // reuses the slot of base's minute
	s = r.series(base.Add(time.Hour))
	if s[59].Granted != 0 || s[59].Denied != 1 {
		t.Errorf("reused slot: %+v", s[59])
	}
}

func TestBuildChart(t *testing.T) {
	var r decisionRing
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i := range 7 {
		r.add(now, i%3 != 0)
	}
	c := buildChart(r.series(now), time.UTC)
	if c.Granted != 4 || c.Denied != 3 || c.PeakMinute != 7 || c.Empty || len(c.Bars) != 60 {
		t.Fatalf("chart = %+v", c)
	}
	last := c.Bars[59]
	if last.GH <= 0 || last.DH <= 0 || last.DY+last.DH != last.GY || last.GY+last.GH != float64(c.BaseY) {
		t.Errorf("last bar stacks wrong: %+v (base %d)", last, c.BaseY)
	}
	top := c.YTicks[len(c.YTicks)-1]
	if top.Label != "10" || top.Pos != float64(c.PlotY) {
		t.Errorf("top tick %+v, want 10 at the plot's top", top)
	}
	if e := buildChart(decisionRingEmpty(now), time.UTC); !e.Empty {
		t.Error("empty chart not marked empty")
	}
	for _, tc := range []struct{ in, want int }{{0, 4}, {4, 4}, {5, 5}, {6, 10}, {11, 20}, {21, 50}, {501, 1000}} {
		if got := niceMax(tc.in); got != tc.want {
			t.Errorf("niceMax(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func decisionRingEmpty(now time.Time) []MinuteCount {
	var r decisionRing
	return r.series(now)
}

// event_log_behind: raised when more than half of the stage waits for the
// store, or the stage's writes to it fail; never without a stage.
func TestEventLogBehind(t *testing.T) {
	const size = 16 << 20
	for _, c := range []struct {
		name string
		st   events.Stats
		want bool
		text string
	}{
		{"no stage", events.Stats{StageBytes: size, StageSize: size, StageFailing: true}, false, ""},
		{"keeping up", events.Stats{Staged: true, StageBytes: 4096, StageSize: size}, false, "0.0 of 16 MiB"},
		{"half full", events.Stats{Staged: true, StageBytes: size/2 + 1, StageSize: size}, true, "8.0 of 16 MiB"},
		{"failing", events.Stats{Staged: true, StageBytes: 4096, StageSize: size, StageFailing: true}, true, "last write failed"},
	} {
		got, text := eventLogBehind(c.st)
		if got != c.want || !strings.Contains(text, c.text) {
			t.Errorf("%s: eventLogBehind = %v, %q; want %v, containing %q", c.name, got, text, c.want, c.text)
		}
	}
	if _, ok := newHealthTracker(time.Now).decl(WarnEventLogBehind); !ok {
		t.Fatal("event_log_behind not declared")
	}
}
