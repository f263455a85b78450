package locks

import (
	"context"
	"testing"
	"time"
)

// A Sleeper never returns before its time (an early tap would be as wrong
// as a late one), also many times over (the fine timer is re-armed each
// time), and a cancelled ctx ends a long wait.
func TestSleeperUntil(t *testing.T) {
	s := NewSleeper()
	defer s.Close()
	waits := []time.Duration{-time.Millisecond, 0, 300 * time.Microsecond, 3 * time.Millisecond, 12 * time.Millisecond}
	for range 50 {
		waits = append(waits, 50*time.Microsecond)
	}
	for _, d := range waits {
		at := time.Now().Add(d)
		if !s.Until(context.Background(), at) {
			t.Fatalf("Until(+%v) reported a dead context", d)
		}
		if now := time.Now(); now.Before(at) {
			t.Errorf("Until(+%v) returned %v early", d, at.Sub(now))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if s.Until(ctx, time.Now().Add(time.Hour)) {
		t.Error("Until(+1h) with a cancelled context reported a live one")
	}
	// The Sleeper is still usable after a cancelled wait.
	at := time.Now().Add(time.Millisecond)
	if !s.Until(context.Background(), at) || time.Now().Before(at) {
		t.Error("Until after a cancelled wait returned early or dead")
	}
}
