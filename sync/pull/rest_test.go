package pull_test

import (
	"context"
	"testing"
	"time"

	sim "github.com/lockhub/lockhub/simulators/nexudus"
)

func TestBookingWindowBothModes(t *testing.T) {
	for _, mode := range []string{sim.TimeModeUTC, sim.TimeModeWallclock} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, envOpts{mode: mode})
			cw := e.coworker("Ana Ruiz", cardAna, "40417")
			room := e.resource(grpRoom)
			start := e.clk.Now().Add(2 * time.Hour)
			end := start.Add(time.Hour)
			bid, err := e.sim.AddBooking(sim.BookingSpec{ResourceID: room, CoworkerID: cw, From: start, To: end})
			if err != nil {
				t.Fatal(err)
			}
			e.incremental()
			for _, tc := range []struct {
				name string
				at   time.Time
				want bool
			}{
				{"16 min before start", start.Add(-16 * time.Minute), false},
				{"14 min before start", start.Add(-14 * time.Minute), true},
				{"inside", start.Add(30 * time.Minute), true},
				{"last minute", end.Add(-time.Minute), true},
				{"at the end", end, false},
				{"after the end", end.Add(time.Minute), false},
			} {
				e.wantAllowed(lockRoom, cardAna, tc.at, tc.want, tc.name)
			}
			e.wantAllowed(lockFront, cardAna, start, false, "other door")
			if _, err := e.sim.CancelBooking(bid, sim.ReasonNoLongerNeeded); err != nil {
				t.Fatal(err)
			}
			e.clk.Add(time.Minute)
			e.incremental()
			e.wantAllowed(lockRoom, cardAna, start.Add(30*time.Minute), false, "cancelled booking")
		})
	}
}

func TestTentativeBookingGrantsNothing(t *testing.T) {
	e := newEnv(t, envOpts{})
	cw := e.coworker("Ana", cardAna, "")
	room := e.resource(grpRoom)
	start := e.clk.Now().Add(time.Hour)
	if _, err := e.sim.AddBooking(sim.BookingSpec{ResourceID: room, CoworkerID: cw, From: start, To: start.Add(time.Hour), Tentative: true}); err != nil {
		t.Fatal(err)
	}
	e.incremental()
	e.wantAllowed(lockRoom, cardAna, start.Add(time.Minute), false, "tentative booking (Q13)")
}

func TestPassUsedRevokes(t *testing.T) {
	e := newEnv(t, envOpts{})
	cw := e.coworker("Ana", cardAna, "")
	tp, err := e.sim.AddTimePass(sim.TimePassSpec{Name: "Day Pass", Groups: []string{grpLobby}, BusinessIDs: []int{e.biz}})
	if err != nil {
		t.Fatal(err)
	}
	expire := e.clk.Now().Add(10 * time.Hour)
	pid, err := e.sim.AddPass(cw, tp, expire)
	if err != nil {
		t.Fatal(err)
	}
	e.incremental()
	now := e.clk.Now()
	e.wantAllowed(lockFront, cardAna, now.Add(time.Hour), true, "held pass")
	e.wantAllowed(lockFront, cardAna, expire.Add(time.Minute), false, "pass after expiry")
	if err := e.sim.UsePass(pid); err != nil {
		t.Fatal(err)
	}
	e.clk.Add(time.Minute)
	e.incremental()
	e.wantAllowed(lockFront, cardAna, e.clk.Now().Add(time.Minute), false, "used pass")
}

func TestPassTimeSlots(t *testing.T) {
	e := newEnv(t, envOpts{now: time.Date(2025, 3, 4, 6, 0, 0, 0, time.UTC)}) // a Tuesday, 07:00 in Stockholm
	cw := e.coworker("Ana", cardAna, "")
	tp, _ := e.sim.AddTimePass(sim.TimePassSpec{Name: "Morning", MinutesIncluded: 600, Groups: []string{grpLobby}, BusinessIDs: []int{e.biz}})
	if _, err := e.sim.AddTimeSlot(tp, time.Tuesday, 8*60, 12*60); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.AddPass(cw, tp, time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.incremental()
	local := func(d, h, m int) time.Time { return time.Date(2025, 3, d, h, m, 0, 0, e.zone) }
	e.wantAllowed(lockFront, cardAna, local(4, 7, 59), false, "before the slot")
	e.wantAllowed(lockFront, cardAna, local(4, 8, 0), true, "slot start")
	e.wantAllowed(lockFront, cardAna, local(4, 12, 0), false, "slot end")
	e.wantAllowed(lockFront, cardAna, local(5, 9, 0), false, "a Wednesday")
	e.wantAllowed(lockFront, cardAna, local(11, 9, 0), false, "next Tuesday, beyond the 7-day horizon")
	e.clk.Add(24 * time.Hour)
	if err := e.syncer.RunReconcile(context.Background(), 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	e.wantAllowed(lockFront, cardAna, local(11, 9, 0), true, "next Tuesday, pre-staged by the nightly pass")
}

func TestContractCancellationWithNexudusDown(t *testing.T) {
	e := newEnv(t, envOpts{})
	cw := e.coworker("Ana", cardAna, "")
	desk, err := e.sim.AddDesk(sim.DeskSpec{BusinessID: e.biz, Name: "D-1", Group: grpDesk})
	if err != nil {
		t.Fatal(err)
	}
	kid, err := e.sim.AddContract(sim.ContractSpec{CoworkerID: cw, TariffName: "Resident", Start: e.clk.Now().Add(-24 * time.Hour), Main: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.AssignDesk(desk, kid); err != nil {
		t.Fatal(err)
	}
	e.sim.Tick()
	e.incremental()
	e.wantAllowed(lockDesk, cardAna, e.clk.Now(), true, "active contract")
	cancelAt := e.clk.Now().Add(3 * time.Hour)
	if err := e.sim.CancelContract(kid, cancelAt); err != nil {
		t.Fatal(err)
	}
	e.clk.Add(time.Minute)
	e.incremental()
	e.sim.SetFaults(sim.Fault{Kind: sim.FaultStatus, Status: 503})
	e.clk.Add(2 * time.Hour)
	if err := e.syncer.RunIncremental(context.Background()); err == nil {
		t.Error("RunIncremental with Nexudus down succeeded")
	}
	e.wantAllowed(lockDesk, cardAna, cancelAt.Add(-time.Minute), true, "before the cancellation date, offline")
	e.wantAllowed(lockDesk, cardAna, cancelAt, false, "at the cancellation date, offline")
}

func TestPrestagedBookingOpensWithNexudusDown(t *testing.T) {
	e := newEnv(t, envOpts{})
	cw := e.coworker("Ana", cardAna, "")
	room := e.resource(grpRoom)
	start := e.clk.Now().Add(3 * 24 * time.Hour)
	if _, err := e.sim.AddBooking(sim.BookingSpec{ResourceID: room, CoworkerID: cw, From: start, To: start.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e.incremental()
	e.sim.SetFaults(sim.Fault{Kind: sim.FaultDrop})
	e.clk.Set(start.Add(-10 * time.Minute))
	if err := e.syncer.RunIncremental(context.Background()); err == nil {
		t.Error("RunIncremental with Nexudus unreachable succeeded")
	}
	e.wantAllowed(lockRoom, cardAna, start.Add(-10*time.Minute), true, "pre-staged booking, Nexudus down")
	if age := e.syncer.Status().DataAge[domainID]; age < 3*24*time.Hour-time.Hour {
		t.Errorf("data age = %v, want about 3 days", age)
	}
}

func TestReconcileDeletesByDifference(t *testing.T) {
	e := newEnv(t, envOpts{})
	cw := e.coworker("Ana", cardAna, "")
	room := e.resource(grpRoom)
	start := e.clk.Now().Add(2 * time.Hour)
	bid, _ := e.sim.AddBooking(sim.BookingSpec{ResourceID: room, CoworkerID: cw, From: start, To: start.Add(time.Hour)})
	e.incremental()
	e.wantAllowed(lockRoom, cardAna, start, true, "booked")
	if err := e.sim.DeleteBooking(bid); err != nil { // no tombstone
		t.Fatal(err)
	}
	e.clk.Add(time.Minute)
	e.incremental()
	e.wantAllowed(lockRoom, cardAna, start, true, "hard delete is invisible to the incremental pass")
	if err := e.syncer.RunReconcile(context.Background(), 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	e.wantAllowed(lockRoom, cardAna, start, false, "reconcile deleted it")
}

func TestInactiveAndBadCredentials(t *testing.T) {
	e := newEnv(t, envOpts{})
	cw := e.coworker("Ana", cardAna+", not-a-card", "12")
	room := e.resource(grpRoom)
	start := e.clk.Now().Add(time.Hour)
	e.sim.AddBooking(sim.BookingSpec{ResourceID: room, CoworkerID: cw, From: start, To: start.Add(time.Hour)})
	e.incremental()
	e.wantAllowed(lockRoom, cardAna, start, true, "good card of a coworker with bad values")
	if got := e.syncer.Status().RejectedCredentials; got != 2 {
		t.Errorf("rejected credentials = %d, want 2 (a bad card and a short PIN)", got)
	}
	if err := e.sim.SetCoworkerActive(cw, false); err != nil {
		t.Fatal(err)
	}
	e.clk.Add(time.Minute)
	e.incremental()
	e.wantAllowed(lockRoom, cardAna, start, false, "inactive coworker")
}

func TestUnknownGroupReported(t *testing.T) {
	e := newEnv(t, envOpts{})
	cw := e.coworker("Ana", cardAna, "")
	room := e.resource(grpRoom, "grp-nowhere")
	start := e.clk.Now().Add(time.Hour)
	e.sim.AddBooking(sim.BookingSpec{ResourceID: room, CoworkerID: cw, From: start, To: start.Add(time.Hour)})
	e.incremental()
	e.wantAllowed(lockRoom, cardAna, start, true, "known group still granted")
	if got := e.syncer.Status().UnknownGroups; len(got) != 1 || got[0] != "grp-nowhere" {
		t.Errorf("unknown groups = %v, want [grp-nowhere]", got)
	}
}

func TestDSTChangeDay(t *testing.T) {
	// Stockholm springs forward on 2025-03-30 at 02:00 (to 03:00).
	for _, mode := range []string{sim.TimeModeUTC, sim.TimeModeWallclock} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, envOpts{mode: mode, now: time.Date(2025, 3, 29, 12, 0, 0, 0, time.UTC)})
			cw := e.coworker("Ana", cardAna, "")
			room := e.resource(grpRoom)
			start := time.Date(2025, 3, 30, 8, 0, 0, 0, e.zone) // UTC+2 that day
			if _, err := e.sim.AddBooking(sim.BookingSpec{ResourceID: room, CoworkerID: cw, From: start, To: start.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			e.incremental()
			e.wantAllowed(lockRoom, cardAna, time.Date(2025, 3, 30, 7, 44, 0, 0, e.zone), false, "16 min early")
			e.wantAllowed(lockRoom, cardAna, time.Date(2025, 3, 30, 7, 46, 0, 0, e.zone), true, "14 min early")
			e.wantAllowed(lockRoom, cardAna, time.Date(2025, 3, 30, 8, 59, 0, 0, e.zone), true, "last minute")
			e.wantAllowed(lockRoom, cardAna, time.Date(2025, 3, 30, 9, 0, 0, 0, e.zone), false, "end")
		})
	}
}
