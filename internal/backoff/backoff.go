package backoff

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Growth is how the delay grows with consecutive failures n (1, 2, 3, ...).
type Growth uint8

const (
	// Exponential delays Base·2ⁿ⁻¹: 1, 2, 4, 8, ... times Base.
	Exponential Growth = iota
	// Quadratic delays Base·n²: 1, 4, 9, 16, ... times Base.
	Quadratic
)

// Defaults used for zero Config fields (nexudus.md Q14).
const (
	DefaultBase          = 2 * time.Second
	DefaultMax           = 60 * time.Second
	DefaultRetryAfterMax = 60 * time.Second
)

// Config configures a Backoff. Zero fields take the defaults above.
type Config struct {
	// Base is the delay after the first failure, before jitter. Zero means
	// DefaultBase.
	Base time.Duration
	// Max caps every computed delay, after jitter. Zero means DefaultMax.
	Max time.Duration
	// Growth is Exponential (the zero value) or Quadratic.
	Growth Growth
	// RetryAfterMax caps a server's Retry-After. Zero means
	// DefaultRetryAfterMax.
	RetryAfterMax time.Duration
	// Jitter returns a number in [0, 1); the delay is multiplied by
	// 0.5+Jitter(). Nil means math/rand/v2's Float64. Tests pass a constant.
	Jitter func() float64
	// Sleep waits d or until ctx ends, returning ctx's error in that case.
	// Nil means a timer (fake under testing/synctest).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Backoff computes and sleeps retry delays. Create it with New.
type Backoff struct {
	cfg Config

	mu sync.Mutex
	n  int // consecutive failures so far
}

// New returns a Backoff with cfg's zero fields set to the defaults.
func New(cfg Config) *Backoff {
	if cfg.Base <= 0 {
		cfg.Base = DefaultBase
	}
	if cfg.Max <= 0 {
		cfg.Max = DefaultMax
	}
	if cfg.RetryAfterMax <= 0 {
		cfg.RetryAfterMax = DefaultRetryAfterMax
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	if cfg.Sleep == nil {
		cfg.Sleep = Sleep
	}
	return &Backoff{cfg: cfg}
}

// Next counts one more failure and returns the delay to wait before the next
// attempt. A positive retryAfter is the server's request: it is used as is
// (no jitter), capped at RetryAfterMax. Otherwise the delay grows with the
// number of failures, is jittered by 0.5–1.5× and capped at Max.
func (b *Backoff) Next(retryAfter time.Duration) time.Duration {
	b.mu.Lock()
	b.n++
	n := b.n
	b.mu.Unlock()
	if retryAfter > 0 {
		return min(retryAfter, b.cfg.RetryAfterMax)
	}
	var f float64
	switch b.cfg.Growth {
	case Quadratic:
		f = float64(n) * float64(n)
	default:
		f = math.Exp2(float64(min(n-1, 62)))
	}
	d := float64(b.cfg.Base) * f * (0.5 + b.cfg.Jitter())
	if d >= float64(b.cfg.Max) || math.IsNaN(d) {
		return b.cfg.Max
	}
	return time.Duration(d)
}

// Wait counts one more failure and sleeps the delay Next returns, or until
// ctx ends. It returns ctx's error if ctx ended first (or had already ended).
func (b *Backoff) Wait(ctx context.Context, retryAfter time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.cfg.Sleep(ctx, b.Next(retryAfter))
}

// Reset forgets the failures counted so far, after a success.
func (b *Backoff) Reset() {
	b.mu.Lock()
	b.n = 0
	b.mu.Unlock()
}

// Failures is the number of failures counted since New or the last Reset.
func (b *Backoff) Failures() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

// Sleep waits d on a timer, or until ctx ends; then it returns ctx.Err().
// A non-positive d returns at once (with ctx's error, if any).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
