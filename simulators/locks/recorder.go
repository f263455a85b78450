package locks

import (
	"fmt"
	"math"
	"math/bits"
	"sync"
	"time"
)

// The recorder's histogram is log-linear, like HdrHistogram: values below
// 2^subBits ns are counted exactly, and every power of two above is split
// into 2^subBits linear buckets, so a reported percentile is at most 1/128
// (0.8 %) above the true sample, never below it.
const (
	subBits    = 7
	subCount   = 1 << subBits
	numBuckets = subCount + (64-subBits-1)*subCount
)

func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1
	return subCount + shift*subCount + int(v>>shift) - subCount
}

// bucketHigh is the highest value counted in bucket i.
func bucketHigh(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	shift := (i - subCount) / subCount
	top := uint64(subCount + (i-subCount)%subCount)
	return (top+1)<<shift - 1
}

// Recorder collects latencies in a log-linear histogram with exact count,
// min, max and mean, plus error and timeout counts. It is safe for
// concurrent use; the zero value is ready.
type Recorder struct {
	mu       sync.Mutex
	counts   []uint64 // numBuckets, allocated on first use
	n        uint64
	sum      float64 // ns
	min, max time.Duration
	errors   uint64
	timeouts uint64
}

// Record adds one latency sample (negative ones count as 0).
func (r *Recorder) Record(d time.Duration) {
	d = max(d, 0)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = make([]uint64, numBuckets)
	}
	r.counts[bucketOf(uint64(d))]++
	if r.n == 0 || d < r.min {
		r.min = d
	}
	r.max = max(r.max, d)
	r.n++
	r.sum += float64(d)
}

// RecordError counts a request that failed (not a timeout).
func (r *Recorder) RecordError() {
	r.mu.Lock()
	r.errors++
	r.mu.Unlock()
}

// RecordTimeout counts a request that got no reply in time.
func (r *Recorder) RecordTimeout() {
	r.mu.Lock()
	r.timeouts++
	r.mu.Unlock()
}

// Merge adds o's samples and counts to r.
func (r *Recorder) Merge(o *Recorder) {
	o.mu.Lock()
	counts := append([]uint64(nil), o.counts...)
	n, sum, mn, mx, errs, tos := o.n, o.sum, o.min, o.max, o.errors, o.timeouts
	o.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors += errs
	r.timeouts += tos
	if n == 0 {
		return
	}
	if r.counts == nil {
		r.counts = make([]uint64, numBuckets)
	}
	for i, c := range counts {
		r.counts[i] += c
	}
	if r.n == 0 || mn < r.min {
		r.min = mn
	}
	r.max = max(r.max, mx)
	r.n += n
	r.sum += sum
}

// Quantile returns the latency at or below which a fraction q (0..1) of the
// samples fall: the upper bound of the sample's bucket, clamped to the
// exact min and max (q ≤ 0 gives the min). It is 0 without samples.
func (r *Recorder) Quantile(q float64) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.quantileLocked(q)
}

func (r *Recorder) quantileLocked(q float64) time.Duration {
	switch {
	case r.n == 0:
		return 0
	case q <= 0:
		return r.min
	}
	rank := uint64(math.Ceil(min(max(q, 0), 1) * float64(r.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range r.counts {
		seen += c
		if seen >= rank {
			v := time.Duration(min(bucketHigh(i), uint64(math.MaxInt64)))
			return min(max(v, r.min), r.max)
		}
	}
	return r.max
}

// LatencySummary is what a Recorder reports.
type LatencySummary struct {
	Count    uint64 // samples (replies)
	Errors   uint64
	Timeouts uint64
	Min      time.Duration
	Mean     time.Duration
	P50      time.Duration
	P90      time.Duration
	P99      time.Duration
	P999     time.Duration
	Max      time.Duration
	Elapsed  time.Duration // the period the rate is computed over
	Rate     float64       // samples per second over Elapsed
}

// Summary reports the recorder's state; elapsed is the duration of the run,
// for the achieved rate (0 leaves Rate 0).
func (r *Recorder) Summary(elapsed time.Duration) LatencySummary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := LatencySummary{Count: r.n, Errors: r.errors, Timeouts: r.timeouts, Min: r.min, Max: r.max, Elapsed: elapsed}
	if r.n > 0 {
		s.Mean = time.Duration(r.sum / float64(r.n))
		s.P50 = r.quantileLocked(0.50)
		s.P90 = r.quantileLocked(0.90)
		s.P99 = r.quantileLocked(0.99)
		s.P999 = r.quantileLocked(0.999)
	}
	if elapsed > 0 {
		s.Rate = float64(r.n) / elapsed.Seconds()
	}
	return s
}

func (s LatencySummary) String() string {
	return fmt.Sprintf("count=%d errors=%d timeouts=%d rate=%.1f/s min=%v mean=%v p50=%v p90=%v p99=%v p99.9=%v max=%v",
		s.Count, s.Errors, s.Timeouts, s.Rate, round(s.Min), round(s.Mean), round(s.P50), round(s.P90),
		round(s.P99), round(s.P999), round(s.Max))
}

// round keeps three significant digits or so for printing.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Microsecond)
	default:
		return d
	}
}
