package locks

import (
	"context"
	"testing"
	"time"
)

// SleepUntil never returns before its time (an early tap would be as wrong
// as a late one), and a cancelled ctx ends a long wait.
func TestSleepUntil(t *testing.T) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for _, d := range []time.Duration{-time.Millisecond, 0, 300 * time.Microsecond, 3 * time.Millisecond, 12 * time.Millisecond} {
		at := time.Now().Add(d)
		if !SleepUntil(context.Background(), timer, at) {
			t.Fatalf("SleepUntil(+%v) reported a dead context", d)
		}
		if now := time.Now(); now.Before(at) {
			t.Errorf("SleepUntil(+%v) returned %v early", d, at.Sub(now))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if SleepUntil(ctx, timer, time.Now().Add(time.Hour)) {
		t.Error("SleepUntil(+1h) with a cancelled context reported a live one")
	}
}
