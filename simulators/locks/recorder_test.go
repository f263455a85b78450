package locks_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lockhub/lockhub/simulators/locks"
)

func TestRecorderExactSmallValues(t *testing.T) {
	var r locks.Recorder
	for v := 100; v >= 1; v-- { // 1..100 ns, recorded out of order
		r.Record(time.Duration(v))
	}
	s := r.Summary(2 * time.Second)
	want := locks.LatencySummary{
		Count: 100, Min: 1, Mean: 50, P50: 50, P90: 90, P99: 99, P999: 100, Max: 100,
		Elapsed: 2 * time.Second, Rate: 50,
	}
	if s != want {
		t.Errorf("summary = %+v\nwant      %+v", s, want)
	}
}

func TestRecorderTailAndMax(t *testing.T) {
	var r locks.Recorder
	for range 990 {
		r.Record(time.Millisecond)
	}
	for range 10 {
		r.Record(100 * time.Millisecond)
	}
	r.RecordError()
	r.RecordTimeout()
	r.RecordTimeout()
	s := r.Summary(time.Second)
	tests := []struct {
		name      string
		got, want time.Duration
	}{
		{"p50", s.P50, time.Millisecond},
		{"p90", s.P90, time.Millisecond},
		{"p99", s.P99, time.Millisecond},
		{"p99.9", s.P999, 100 * time.Millisecond},
		{"max", s.Max, 100 * time.Millisecond},
		{"min", s.Min, time.Millisecond},
		{"mean", s.Mean, 1990 * time.Microsecond},
	}
	for _, tt := range tests {
		// A bucket's upper bound is reported: at most 1/128 above.
		if tt.got < tt.want || float64(tt.got-tt.want) > float64(tt.want)/128 {
			t.Errorf("%s = %v, want %v (+1/128)", tt.name, tt.got, tt.want)
		}
	}
	if s.Count != 1000 || s.Errors != 1 || s.Timeouts != 2 || s.Rate != 1000 {
		t.Errorf("summary = %+v", s)
	}
}

func TestRecorderRelativeErrorBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var r locks.Recorder
	samples := make([]time.Duration, 20000)
	for i := range samples {
		// Log-uniform from 1 µs to 10 s.
		samples[i] = time.Duration(1000 * math.Pow(10, rng.Float64()*7))
		r.Record(samples[i])
	}
	slices.Sort(samples)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := samples[int(q*float64(len(samples)))-1]
		got := r.Quantile(q)
		if got < exact || float64(got-exact) > float64(exact)/128 {
			t.Errorf("q%.3f = %v, exact %v", q, got, exact)
		}
	}
	if got := r.Quantile(1); got != samples[len(samples)-1] {
		t.Errorf("q1 = %v, want the max %v", got, samples[len(samples)-1])
	}
	if got := r.Quantile(0); got != samples[0] {
		t.Errorf("q0 = %v, want the min %v", got, samples[0])
	}
}

func TestRecorderMergeAndEmpty(t *testing.T) {
	var empty locks.Recorder
	if s := empty.Summary(0); s != (locks.LatencySummary{}) {
		t.Errorf("empty summary = %+v", s)
	}
	var a, b, all locks.Recorder
	for i := range 500 {
		d := time.Duration(i) * 37 * time.Microsecond
		all.Record(d)
		if i%2 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	b.RecordError()
	all.RecordError()
	a.Merge(&b)
	a.Merge(&empty)
	if got, want := a.Summary(time.Second), all.Summary(time.Second); got != want {
		t.Errorf("merged = %+v\nwant     %+v", got, want)
	}
	var negative locks.Recorder
	negative.Record(-time.Second)
	if s := negative.Summary(0); s.Max != 0 || s.Count != 1 {
		t.Errorf("negative sample: %+v", s)
	}
}
