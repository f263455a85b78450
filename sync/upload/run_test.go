package upload_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/simulators/upstream"
	"github.com/lockhub/lockhub/sync/upload"
)

// TestRunEarlyOnBacklog: with an hourly schedule, a backlog over the
// threshold is uploaded at once; Run returns when ctx ends, also while a
// drain is backing off.
func TestRunEarlyOnBacklog(t *testing.T) {
	l := openLog(t, logConfig(t.TempDir()))
	r := newRig(t, l, false, func(c *upload.Config, d *upload.Deps) {
		c.Schedule = "@every 1h"
		c.BacklogThreshold = 50
		c.CheckInterval = 10 * time.Millisecond
		d.Sleep = nil // real timers: Run must cut a backoff short
		c.BackoffBase = time.Hour
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.up.Run(ctx) }()

	appendN(t, l, 0, 40) // under the threshold: waits for the schedule
	time.Sleep(100 * time.Millisecond)
	if got := r.sink.Report().Requests; got != 0 {
		t.Fatalf("uploaded %d requests under the threshold", got)
	}
	appendN(t, l, 40, 20)
	waitFor(t, func() bool { return r.sink.Report().Unique == 60 })

	// An outage: the drain backs off for an hour; cancelling still returns.
	r.sink.SetFaults(upstream.Fault{Kind: upstream.FaultStatus, Status: 503})
	appendN(t, l, 60, 60)
	waitFor(t, func() bool { return r.up.Status().Failing })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	st := r.up.Status()
	if st.InFlight == nil || st.Pending != 60 || st.LastError != "upstream answered 503: injected fault: Service Unavailable" {
		t.Errorf("status after cancel = %+v", st)
	}
	// Flush at shutdown: the next Drain resends the in-flight batch.
	r.sink.ClearFaults()
	if err := r.up.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	checkComplete(t, r.sink, 120)
}

func waitFor(tb testing.TB, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	l := openLog(t, logConfig(t.TempDir()))
	good := upload.Config{URL: "http://127.0.0.1:1/x", Token: "t", HubID: "h", Epoch: "e"}
	tests := []struct {
		name string
		mod  func(*upload.Config)
	}{
		{"no url", func(c *upload.Config) { c.URL = "" }},
		{"ftp url", func(c *upload.Config) { c.URL = "ftp://x/y" }},
		{"no token", func(c *upload.Config) { c.Token = "" }},
		{"no hub", func(c *upload.Config) { c.HubID = "" }},
		{"no epoch", func(c *upload.Config) { c.Epoch = "" }},
		{"bad schedule", func(c *upload.Config) { c.Schedule = "often" }},
		{"negative", func(c *upload.Config) { c.MaxBatchEvents = -1 }},
	}
	for _, tc := range tests {
		c := good
		tc.mod(&c)
		if _, err := upload.New(c, upload.Deps{Outbox: l}); err == nil {
			t.Errorf("%s: New accepted %+v", tc.name, c)
		}
	}
	if _, err := upload.New(good, upload.Deps{}); err == nil {
		t.Error("New without an outbox accepted")
	}
	if _, err := upload.New(good, upload.Deps{Outbox: l}); err != nil {
		t.Errorf("New(good) = %v", err)
	}
}

// TestUnreadableSavedState: a corrupt state record is logged and replaced;
// the events are still delivered.
func TestUnreadableSavedState(t *testing.T) {
	l := openLog(t, logConfig(t.TempDir()))
	appendN(t, l, 0, 30)
	if err := l.SaveUploadState([]byte(`{"v":1,"inflight":{"key":"x"`), 0); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, l, false, nil)
	if !strings.Contains(r.logs.String(), "saved upload state unreadable") {
		t.Errorf("no log of the bad state:\n%s", r.logs)
	}
	if err := r.up.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	checkComplete(t, r.sink, 30)
	if b, err := l.UploadState(); err != nil || b != nil {
		t.Errorf("state after drain = %q %v, want none", b, err)
	}
}
