package upload_test

import (
	"testing"
	"time"
)

// BenchmarkDrain measures the drain rate to the sink over real HTTP on
// loopback: each iteration queues 20,000 events (untimed) and drains them.
// The sink decodes and accounts every event on the same two cores.
func BenchmarkDrain(b *testing.B) {
	const perIter = 20_000
	l := openLog(b, logConfig(b.TempDir()))
	r := newRig(b, l, false, nil)
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		appendN(b, l, i*perIter, perIter)
		b.StartTimer()
		start := time.Now()
		if err := r.up.Drain(b.Context()); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	rep := r.sink.Report()
	if rep.Duplicates != 0 || len(rep.Streams) != 1 || len(rep.Streams[0].Missing) != 0 {
		b.Fatalf("sink = %+v", rep)
	}
	b.ReportMetric(float64(rep.Unique)/total.Seconds(), "events/s")
	b.ReportMetric(float64(rep.Unique)/float64(rep.Accepted), "events/batch")
}
