package pull_test

import (
	"context"
	"testing"
	"time"

	sim "github.com/lockhub/lockhub/simulators/nexudus"
	"github.com/lockhub/lockhub/sync/nexudus"
)

// A booking's local twin is in its business's zone. A London booking in
// winter (local = UTC) judged in the Stockholm domain's zone looks like a
// wall-clock pair: with two domains the detector must judge each booking
// in its own business's zone, in the full pass and in incremental ones.
func TestTimeModeJudgedInEachBookingsZone(t *testing.T) {
	now := time.Date(2025, 11, 20, 8, 0, 0, 0, time.UTC) // London at UTC+0, Stockholm at +1
	e := newEnv(t, envOpts{london: true, now: now})
	cw := e.coworker("Ana Ruiz", cardAna, "")
	rs := e.resource(grpRoom)
	rl, err := e.sim.AddResource(sim.ResourceSpec{BusinessID: e.ldnBiz, Name: "Thames", TypeName: "Meeting room", Groups: []string{grpLondon}})
	if err != nil {
		t.Fatal(err)
	}
	start := now.Add(2 * time.Hour)
	for _, r := range []int{rs, rl} {
		if _, err := e.sim.AddBooking(sim.BookingSpec{ResourceID: r, CoworkerID: cw, From: start, To: start.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.syncer.RunReconcile(context.Background(), 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if utc, wall := e.client.TimeModeVotes(); utc == 0 || wall != 0 {
		t.Errorf("after the full pass: %d UTC and %d wall-clock votes; want UTC votes only", utc, wall)
	}
	if m := e.client.TimeMode(); m != nexudus.TimeModeUTC {
		t.Errorf("time mode %v, want UTC", m)
	}
	e.wantAllowed(lockLondon, cardAna, start.Add(5*time.Minute), true, "the London booking, at its hour")
	e.wantAllowed(lockLondon, cardAna, start.Add(-time.Hour), false, "the London booking, an hour early")

	// A London booking added later reaches the detector through an
	// incremental pass, which knows the zones from the tables.
	later := start.Add(24 * time.Hour)
	if _, err := e.sim.AddBooking(sim.BookingSpec{ResourceID: rl, CoworkerID: cw, From: later, To: later.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e.clk.Add(time.Minute)
	e.incremental()
	if utc, wall := e.client.TimeModeVotes(); utc == 0 || wall != 0 {
		t.Errorf("after an incremental pass: %d UTC and %d wall-clock votes; want UTC votes only", utc, wall)
	}
}
