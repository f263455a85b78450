package backoff_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lockhub/lockhub/internal/backoff"
)

// one makes the jitter factor exactly 1 (0.5 + 0.5).
func one() float64 { return 0.5 }

func TestNextGrowth(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  backoff.Config
		want []time.Duration
	}{
		{"exponential default base", backoff.Config{Jitter: one},
			[]time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 60 * time.Second, 60 * time.Second}},
		{"quadratic", backoff.Config{Base: 100 * time.Millisecond, Growth: backoff.Quadratic, Max: 2 * time.Second, Jitter: one},
			[]time.Duration{100 * time.Millisecond, 400 * time.Millisecond, 900 * time.Millisecond, 1600 * time.Millisecond, 2 * time.Second}},
		{"low jitter halves", backoff.Config{Base: time.Second, Jitter: func() float64 { return 0 }},
			[]time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := backoff.New(tc.cfg)
			for i, want := range tc.want {
				if got := b.Next(0); got != want {
					t.Errorf("Next #%d = %v, want %v", i+1, got, want)
				}
			}
			if got := b.Failures(); got != len(tc.want) {
				t.Errorf("Failures = %d, want %d", got, len(tc.want))
			}
		})
	}
}

func TestNextNeverOverflows(t *testing.T) {
	b := backoff.New(backoff.Config{Base: time.Hour, Max: 90 * time.Second})
	for i := range 200 {
		if d := b.Next(0); d <= 0 || d > 90*time.Second {
			t.Fatalf("Next #%d = %v, want in (0, 90s]", i+1, d)
		}
	}
}

func TestJitterStaysInBounds(t *testing.T) {
	b := backoff.New(backoff.Config{Base: time.Second, Max: time.Hour})
	lo, hi := time.Hour, time.Duration(0)
	for range 2000 {
		b.Reset()
		d := b.Next(0)
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 500*time.Millisecond || hi >= 1500*time.Millisecond {
		t.Fatalf("jittered first delay in [%v, %v], want within [500ms, 1.5s)", lo, hi)
	}
	if hi-lo < 500*time.Millisecond {
		t.Fatalf("jitter spread %v over 2000 draws; the factor is not random", hi-lo)
	}
}

func TestRetryAfterHonouredAndCapped(t *testing.T) {
	b := backoff.New(backoff.Config{Jitter: one})
	if got := b.Next(7 * time.Second); got != 7*time.Second {
		t.Errorf("Next(7s) = %v, want 7s", got)
	}
	if got := b.Next(10 * time.Minute); got != 60*time.Second {
		t.Errorf("Next(10m) = %v, want the 60s cap", got)
	}
	// The server's value did not stop the failures from counting.
	if got := b.Next(0); got != 8*time.Second {
		t.Errorf("third Next(0) = %v, want 8s (2s·2²)", got)
	}
}

func TestReset(t *testing.T) {
	b := backoff.New(backoff.Config{Jitter: one})
	b.Next(0)
	b.Next(0)
	b.Reset()
	if got := b.Failures(); got != 0 {
		t.Fatalf("Failures after Reset = %d, want 0", got)
	}
	if got := b.Next(0); got != 2*time.Second {
		t.Fatalf("Next after Reset = %v, want the base 2s", got)
	}
}

func TestWaitSleepsInFakeTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := backoff.New(backoff.Config{Jitter: one})
		start := time.Now()
		for _, ra := range []time.Duration{0, 0, 3 * time.Second} {
			if err := b.Wait(t.Context(), ra); err != nil {
				t.Fatalf("Wait: %v", err)
			}
		}
		if got, want := time.Since(start), 2*time.Second+4*time.Second+3*time.Second; got != want {
			t.Fatalf("three waits took %v of fake time, want %v", got, want)
		}
	})
}

func TestWaitReturnsWhenContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := backoff.New(backoff.Config{Jitter: one})
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := b.Wait(ctx, 30*time.Second)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait error = %v, want DeadlineExceeded", err)
		}
		if got := time.Since(start); got != 500*time.Millisecond {
			t.Fatalf("Wait returned after %v, want 500ms (the ctx deadline)", got)
		}
		if err := b.Wait(ctx, 0); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait on an ended ctx = %v, want DeadlineExceeded", err)
		}
	})
}

func TestInjectedSleep(t *testing.T) {
	var slept []time.Duration
	b := backoff.New(backoff.Config{Jitter: one, Sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}})
	for range 3 {
		if err := b.Wait(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}
	if len(slept) != len(want) {
		t.Fatalf("slept %v, want %v", slept, want)
	}
	for i := range want {
		if slept[i] != want[i] {
			t.Fatalf("slept %v, want %v", slept, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"-3", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"Tue, 04 Mar 2025 10:00:30 GMT", 30 * time.Second, true},
		{"Tue, 04 Mar 2025 09:00:00 GMT", 0, true},
		{"99999999999999999999", 0, false},
	} {
		got, ok := backoff.ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
