package pull_test

import (
	"context"
	"testing"
	"time"

	"github.com/lockhub/lockhub/sync/pull"
)

func TestRunSchedulesJobsAndStops(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.coworker("Ana", cardAna, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.syncer.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	var inc pull.JobStatus
	for time.Now().Before(deadline) {
		for _, j := range e.syncer.Status().Jobs {
			if j.Name == pull.JobIncremental {
				inc = j
			}
		}
		if !inc.LastSuccess.IsZero() && !inc.NextRun.IsZero() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if inc.LastSuccess.IsZero() || inc.NextRun.IsZero() || inc.Schedule != pull.DefaultIncremental {
		t.Errorf("incremental status = %+v, want a success, a next run and the default schedule", inc)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	for _, j := range e.syncer.Status().Jobs {
		if !j.NextRun.IsZero() {
			t.Errorf("job %s still has a next run after Run returned", j.Name)
		}
	}
}
