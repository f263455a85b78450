package upload_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/simulators/upstream"
	"github.com/lockhub/lockhub/sync/upload"
)

// outage runs the outage scenario with n events: the upstream fails (503s,
// then connections dropped mid-body) while the events queue, then comes
// back; everything arrives once, nothing missing.
func outage(t testing.TB, n int) (rep upstream.Report, drain time.Duration) {
	l := openLog(t, logConfig(t.TempDir()))
	r := newRig(t, l, false, nil)
	r.sink.SetFaults(
		upstream.Fault{Kind: upstream.FaultStatus, Status: 503, Times: 5, Message: "maintenance"},
		upstream.Fault{Kind: upstream.FaultDropBody, Times: 3},
	)
	// The first attempt fails while the events are still being appended;
	// the uploader's first backoff lasts until they all are (the long
	// outage), then the remaining faults pass and the backlog drains.
	appended := make(chan struct{})
	r.onSleep = func(int) { <-appended }
	appendN(t, l, 0, n/2)
	done := make(chan error, 1)
	go func() { done <- r.up.Drain(t.Context()) }()
	appendN(t, l, n/2, n-n/2)
	close(appended)
	start := time.Now()
	if err := <-done; err != nil {
		t.Fatalf("Drain: %v", err)
	}
	drain = time.Since(start)
	if p, _ := l.Pending(); p != 0 {
		t.Fatalf("outbox still holds %d events", p)
	}
	rep = checkComplete(t, r.sink, uint64(n))
	if rep.Faulted != 8 {
		t.Errorf("faults hit = %d, want 8", rep.Faulted)
	}
	// Backoff: base 1 s doubling, jitter pinned at 1.0×. net/http itself
	// may resend a request whose reused connection dropped (it counts an
	// Idempotency-Key request as replayable), so a dropped connection is not
	// always a failure here: 6 to 8 of them.
	got := r.slept()
	if len(got) < 6 || len(got) > 8 {
		t.Fatalf("sleeps = %v, want 6 to 8", got)
	}
	for i, d := range got {
		if want := time.Second << i; d != want {
			t.Errorf("sleep %d = %v, want %v", i, d, want)
		}
	}
	// Logs: one line per failure text, one recovery with the count.
	if c := r.logs.count(`msg="event upload failing"`); c != 2 {
		t.Errorf("failure lines = %d, want 2 (503, dropped connection):\n%s", c, r.logs)
	}
	if c := r.logs.count(fmt.Sprintf(`msg="event upload recovered" component=upload failures=%d `, len(got))); c != 1 {
		t.Errorf("recovery lines = %d, want 1 with failures=%d:\n%s", c, len(got), r.logs)
	}
	if strings.Contains(r.logs.String(), testToken) {
		t.Error("token in the logs")
	}
	if got := r.metric(t, "lockhub_upload_events_total", ""); got != float64(n) {
		t.Errorf("lockhub_upload_events_total = %v, want %d", got, n)
	}
	if got := r.metric(t, "lockhub_upload_batches_total", "failure"); got != float64(len(r.slept())) {
		t.Errorf("failed batches = %v, want %d", got, len(r.slept()))
	}
	if got := r.metric(t, "lockhub_upload_last_success_timestamp_seconds", ""); got < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("last success timestamp = %v", got)
	}
	if st := r.up.Status(); st.Failing || st.InFlight != nil || st.Pending != 0 || len(st.Parked) != 0 {
		t.Errorf("Status after recovery = %+v", st)
	}
	return rep, drain
}

func TestOutageThenRecovery(t *testing.T) {
	n := 20_000
	if testing.Short() {
		n = 2_000
	}
	rep, d := outage(t, n)
	t.Logf("%d events, %d accepted batches, %d requests; backlog drained in %v", rep.Unique, rep.Accepted, rep.Requests, d)
}

// TestOutageMillion is the 1,000,000-event version: see docs/events.md.
func TestOutageMillion(t *testing.T) {
	if os.Getenv("LOCKHUB_UPLOAD_1M") == "" {
		t.Skip("set LOCKHUB_UPLOAD_1M=1 to run (about a minute)")
	}
	const n = 1_000_000
	rep, d := outage(t, n)
	t.Logf("1M: %d unique, %d batches; backlog drained in %v (%.0f events/s, sink included)",
		rep.Unique, rep.Accepted, d, float64(n)/d.Seconds())
}

func TestParkedBatch(t *testing.T) {
	l := openLog(t, logConfig(t.TempDir()))
	r := newRig(t, l, false, func(c *upload.Config, _ *upload.Deps) { c.MaxBatchEvents = 100 })
	appendN(t, l, 0, 500)
	r.sink.SetFaults(upstream.Fault{Kind: upstream.FaultStatus, Status: 400, Seq: 150, Message: "lock id\n'x' unknown"})
	if err := r.up.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := r.up.Status()
	if len(st.Parked) != 1 {
		t.Fatalf("parked = %+v, want one", st.Parked)
	}
	p := st.Parked[0]
	if p.FirstSeq != 101 || p.LastSeq != 200 || p.Events != 100 || p.Status != 400 ||
		p.Message != "upstream answered 400: lock id 'x' unknown" || !strings.HasSuffix(p.Key, "-101-200") {
		t.Errorf("parked batch = %+v", p)
	}
	if st.Pending != 0 || st.Failing {
		t.Errorf("status = %+v: later batches should have flowed", st)
	}
	rep := r.sink.Report()
	if rep.Unique != 400 || len(rep.Streams[0].Missing) != 1 || rep.Streams[0].Missing[0] != (upstream.Range{From: 101, To: 200}) {
		t.Errorf("sink = %+v", rep.Streams)
	}
	if r.metric(t, "lockhub_upload_parked_batches", "") != 1 || r.metric(t, "lockhub_upload_parked_events", "") != 100 ||
		r.metric(t, "lockhub_upload_batches_total", "parked") != 1 {
		t.Error("parked metrics not set")
	}
	if c := r.logs.count("parked"); c != 1 {
		t.Errorf("parked log lines = %d", c)
	}

	// Still refused: stays parked with the answer.
	if err := r.up.RetryParked(t.Context(), p.Key); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("RetryParked under the fault = %v", err)
	}
	// A restart sees the parked batch.
	r.reg = nil
	up2 := r.uploader(t, func(_ *upload.Config, d *upload.Deps) { d.Registerer = nil })
	if got := up2.Status().Parked; len(got) != 1 || got[0].Key != p.Key {
		t.Fatalf("parked after restart = %+v", got)
	}
	if err := up2.RetryParked(t.Context(), "nope"); !errors.Is(err, upload.ErrNoSuchParked) {
		t.Errorf("RetryParked(unknown) = %v", err)
	}
	r.sink.ClearFaults()
	if err := up2.RetryParked(t.Context(), p.Key); err != nil {
		t.Fatalf("RetryParked = %v", err)
	}
	if got := up2.Status().Parked; len(got) != 0 {
		t.Errorf("parked after retry = %+v", got)
	}
	checkComplete(t, r.sink, 500)
	if err := up2.DiscardParked(p.Key); !errors.Is(err, upload.ErrNoSuchParked) {
		t.Errorf("DiscardParked after delivery = %v", err)
	}
}

func TestDiscardParked(t *testing.T) {
	l := openLog(t, logConfig(t.TempDir()))
	r := newRig(t, l, false, func(c *upload.Config, _ *upload.Deps) { c.MaxBatchEvents = 10; c.MaxParked = 2 })
	appendN(t, l, 0, 50)
	// Every batch refused: two park, then the list is full and the upload
	// fails (retrying) instead of parking more.
	r.sink.SetFaults(upstream.Fault{Kind: upstream.FaultStatus, Status: 422})
	r.onSleep = func(n int) {
		if n == 3 {
			r.sink.ClearFaults()
		}
	}
	if err := r.up.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := r.up.Status()
	if len(st.Parked) != 2 || len(r.slept()) != 3 {
		t.Fatalf("parked %d, sleeps %v; want 2 and 3", len(st.Parked), r.slept())
	}
	if !strings.Contains(r.logs.String(), "parked list full") {
		t.Error("no log of the full parked list")
	}
	for _, p := range st.Parked {
		if err := r.up.DiscardParked(p.Key); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.up.Status().Parked) != 0 || r.metric(t, "lockhub_upload_parked_batches", "") != 0 {
		t.Error("discard left parked batches")
	}
	rep := r.sink.Report()
	if rep.Unique != 30 || rep.Streams[0].FirstSeq != 21 || len(rep.Streams[0].Missing) != 0 {
		t.Errorf("sink = %+v", rep.Streams)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	l := openLog(t, logConfig(t.TempDir()))
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	r := newRig(t, l, false, func(c *upload.Config, d *upload.Deps) {
		d.Now = func() time.Time { return now }
		c.RetryAfterMax = time.Hour
	})
	appendN(t, l, 0, 10)
	r.sink.SetFaults(
		upstream.Fault{Kind: upstream.FaultStatus, Status: 429, RetryAfter: "7", Times: 1},
		upstream.Fault{Kind: upstream.FaultStatus, Status: 503, RetryAfter: now.Add(90 * time.Second).Format(http1123), Times: 1},
		upstream.Fault{Kind: upstream.FaultStatus, Status: 408, RetryAfter: "86400", Times: 1},
		upstream.Fault{Kind: upstream.FaultStatus, Status: 409, RetryAfter: "soon", Times: 1},
		upstream.Fault{Kind: upstream.FaultStatus, Status: 401, Times: 1},
	)
	if err := r.up.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	// 7 s and 90 s as asked; a day capped at RetryAfterMax; a malformed
	// value falls back to the backoff (4th failure: 8 s); 401 retried (16 s).
	want := []time.Duration{7 * time.Second, 90 * time.Second, time.Hour, 8 * time.Second, 16 * time.Second}
	got := r.slept()
	if len(got) != len(want) {
		t.Fatalf("sleeps = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sleep %d = %v, want %v", i, got[i], want[i])
		}
	}
	checkComplete(t, r.sink, 10)
	if len(r.up.Status().Parked) != 0 {
		t.Error("a retryable answer parked a batch")
	}
}

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"
