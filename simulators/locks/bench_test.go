package locks_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/simulators/locks"
)

// benchFleet connects n locks of one protocol to a test hub (a trivial
// handler: decode the request, look the credential up in a two-entry table,
// encode the reply).
func benchFleet(b *testing.B, n int, p locks.Protocol) *locks.Fleet {
	b.Helper()
	_, url := startHub(b)
	v5 := 0
	if p == locks.MQTT5 {
		v5 = 100
	}
	f, err := locks.NewFleet(locks.FleetConfig{
		BrokerURL: url, Count: n, Identity: fleetIdentity("bench"), V5Percent: v5,
		Lock: locks.LockConfig{ConnectTimeout: waitFor, RequestTimeout: waitFor},
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(f.Close)
	if _, err := f.Connect(context.Background()); err != nil {
		b.Fatal(err)
	}
	return f
}

func reportLatency(b *testing.B, s locks.LatencySummary) {
	b.ReportMetric(float64(s.P50)/1e3, "p50-µs")
	b.ReportMetric(float64(s.P99)/1e3, "p99-µs")
	b.ReportMetric(float64(s.Max)/1e3, "max-µs")
}

// BenchmarkTapRoundTrip100Locks: 100 connected locks tap in a closed loop
// (each lock one request at a time); ns/op is wall time per round trip over
// the fleet, p50/p99 the latency of a single tap.
func BenchmarkTapRoundTrip100Locks(b *testing.B) {
	for _, p := range protocols {
		b.Run(p.String(), func(b *testing.B) {
			f := benchFleet(b, 100, p)
			var rec locks.Recorder
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for _, l := range f.Locks() {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						r, lat, err := l.Tap(context.Background(), wire.TypeCard, knownCard)
						if err != nil || !r.Granted() {
							b.Errorf("tap: %+v, %v", r, err)
							return
						}
						rec.Record(lat)
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			reportLatency(b, rec.Summary(0))
		})
	}
}

// BenchmarkOpenLoop100Locks500PerSecond runs the open-loop harness for one
// second per iteration (use -benchtime=1x): 500 taps/s over 100 locks,
// latency from the scheduled send time.
func BenchmarkOpenLoop100Locks500PerSecond(b *testing.B) {
	f := benchFleet(b, 100, locks.MQTT311)
	var last locks.LatencySummary
	for b.Loop() {
		rep, err := f.Run(context.Background(), locks.Traffic{
			Rate: 500, Duration: time.Second, OpenLoop: true,
			Credentials: []locks.Credential{{Type: wire.TypeCard, Value: knownCard}},
		})
		if err != nil || rep.Failures() != 0 {
			b.Fatalf("run: %v, %d failures", err, rep.Failures())
		}
		b.ReportMetric(rep.SendRate(), "taps/s")
		last = rep.Latency
	}
	reportLatency(b, last) // of the last iteration
}
