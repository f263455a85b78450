package upload

// A small jittered, capped backoff. internal/backoff (being written on
// another branch) is the shared one; this mirrors its behaviour (doubling
// from a base, 0.5–1.5× jitter, a cap, a server's Retry-After used as is up
// to a cap) so the integrator can swap it in.

import (
	"context"
	"math"
	"time"
)

type backoff struct {
	base, max, retryAfterMax time.Duration
	jitter                   func() float64
	n                        int // consecutive failures; owned by the drain loop
}

// next counts a failure and returns the delay before the next attempt. A
// positive retryAfter (the server's wish) is honoured as is, capped.
func (b *backoff) next(retryAfter time.Duration) time.Duration {
	b.n++
	if retryAfter > 0 {
		return min(retryAfter, b.retryAfterMax)
	}
	d := float64(b.base) * math.Exp2(float64(min(b.n-1, 62))) * (0.5 + b.jitter())
	if d >= float64(b.max) || math.IsNaN(d) {
		return b.max
	}
	return time.Duration(d)
}

func (b *backoff) reset() { b.n = 0 }

// sleep waits d on a timer or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
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
