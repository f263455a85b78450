package pull_test

import (
	"context"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
	sim "github.com/lockhub/lockhub/simulators/nexudus"
	"github.com/lockhub/lockhub/sync/pull"
)

func TestNexudusDownForHours(t *testing.T) {
	e := newEnv(t, envOpts{})
	cw := e.coworker("Ana", cardAna, "")
	room := e.resource(grpRoom)
	desk, _ := e.sim.AddDesk(sim.DeskSpec{BusinessID: e.biz, Name: "D-1", Group: grpDesk})
	kid, _ := e.sim.AddContract(sim.ContractSpec{CoworkerID: cw, Start: e.clk.Now().Add(-time.Hour)})
	e.sim.AssignDesk(desk, kid)
	e.sim.Tick()
	start := e.clk.Now().Add(5 * time.Hour)
	e.sim.AddBooking(sim.BookingSpec{ResourceID: room, CoworkerID: cw, From: start, To: start.Add(time.Hour)})
	e.incremental()
	synced := e.store.LastSync(domainID) // the pass's start

	for i, f := range []sim.Fault{{Kind: sim.FaultStatus, Status: 503}, {Kind: sim.FaultDrop}, {Kind: sim.FaultBadJSON}} {
		e.sim.SetFaults(f)
		e.clk.Add(2 * time.Hour)
		if err := e.syncer.RunIncremental(context.Background()); err == nil {
			t.Errorf("fault %v: RunIncremental succeeded", f.Kind)
		}
		now := e.clk.Now()
		e.wantAllowed(lockDesk, cardAna, now, true, "open-ended contract inside the offline horizon")
		if i == 2 {
			e.wantAllowed(lockRoom, cardAna, start.Add(time.Minute), true, "booking known before the outage")
		}
	}
	st := e.syncer.Status()
	if want := e.clk.Now().Sub(synced); st.DataAge[domainID] != want {
		t.Errorf("data age = %v, want %v", st.DataAge[domainID], want)
	}
	var inc pull.JobStatus
	for _, j := range st.Jobs {
		if j.Name == pull.JobIncremental {
			inc = j
		}
	}
	if inc.LastError == "" || !inc.LastSuccess.Equal(synced) && inc.LastSuccess.Before(synced) {
		t.Errorf("incremental status = %+v, want an error and the last success at %v", inc, synced)
	}
	if got := metricSum(t, e, "lockhub_sync_job_errors_total"); got != 3 {
		t.Errorf("job errors = %v, want 3", got)
	}
	// Past the lock's offline horizon (7 days), the open-ended contract stops
	// opening; the booking, which has an end, would not be affected.
	e.wantAllowed(lockDesk, cardAna, synced.Add(policy.DefaultOfflineHorizon+time.Minute), false, "past the offline horizon")
	e.sim.ClearFaults()
	e.incremental()
	if age := e.syncer.Status().DataAge[domainID]; age > time.Minute {
		t.Errorf("data age after recovery = %v, want under a minute", age)
	}
}

// metricSum sums a metric family's counter and gauge values.
func metricSum(t *testing.T, e *env, name string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			var sum float64
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
			return sum
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestThrottleHonoursRetryAfter(t *testing.T) {
	e := newEnv(t, envOpts{throttle: true})
	first := 0
	for i := range 30 {
		id := e.coworker("C"+itoa(i), "0A"+itoa(10+i), "")
		if i == 0 {
			first = id
		}
	}
	room := e.resource(grpRoom)
	start := e.clk.Now().Add(time.Hour)
	e.sim.AddBooking(sim.BookingSpec{ResourceID: room, CoworkerID: first, From: start, To: start.Add(time.Hour)})
	// Tight limits so a pass runs into them: 2 requests per 100 ms window
	// means the client has to wait Retry-After many times.
	e.sim.SetLimits([]sim.Limit{{Window: time.Second, Max: 2}})
	before := e.clk.Now()
	e.incremental()
	if e.sim.Throttled() == 0 {
		t.Fatal("the simulator throttled nothing; the test proves nothing")
	}
	if e.clk.Now().Sub(before) < time.Duration(e.sim.Throttled())*time.Second/2 {
		t.Errorf("fake time advanced %v for %d throttled requests: Retry-After not honoured", e.clk.Now().Sub(before), e.sim.Throttled())
	}
	e.wantAllowed(lockRoom, "0A10", start, true, "pass completed under throttling")
}
