package devices

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxThrottleEntries bounds each throttle map, so a flood of made-up client
// ids cannot grow memory without limit. Past it, fully refilled entries are
// swept; if none can go, new keys are not tracked (the per-address bucket
// still applies).
const maxThrottleEntries = 50000

// throttle counts failed CONNECT attempts per key in token buckets: each
// failure takes a token, an attempt finding the bucket empty is refused
// without checking credentials, and tokens come back at a fixed rate.
type throttle struct {
	mu      sync.Mutex
	burst   int
	refill  rate.Limit
	buckets map[string]*rate.Limiter
}

func newThrottle(burst int, every time.Duration) *throttle {
	return &throttle{
		burst:   burst,
		refill:  rate.Every(every),
		buckets: make(map[string]*rate.Limiter),
	}
}

// blocked reports whether key has no failure budget left at now.
func (t *throttle) blocked(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.buckets[key]
	return ok && l.TokensAt(now) < 1
}

// fail takes one token from key's bucket.
func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.buckets[key]
	if !ok {
		if len(t.buckets) >= maxThrottleEntries {
			t.sweepLocked(now)
			if len(t.buckets) >= maxThrottleEntries {
				return
			}
		}
		l = rate.NewLimiter(t.refill, t.burst)
		t.buckets[key] = l
	}
	l.AllowN(now, 1)
}

// forget drops key's bucket (after a successful login).
func (t *throttle) forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.buckets, key)
}

// sweepLocked drops buckets that have refilled completely.
func (t *throttle) sweepLocked(now time.Time) {
	for k, l := range t.buckets {
		if l.TokensAt(now) >= float64(t.burst) {
			delete(t.buckets, k)
		}
	}
}

func (t *throttle) sweep(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweepLocked(now)
}

func (t *throttle) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.buckets)
}
