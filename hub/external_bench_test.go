package hub_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/simulators/locks"
)

// benchExternal starts Mosquitto and n external-mode hubs (in this process,
// each with its own store, one master key, distinct site ids) and connects
// a fleet of nLocks simulated MQTT 3.1.1 locks to the broker.
func benchExternal(b *testing.B, hubs, nLocks int) *locks.Fleet {
	b.Helper()
	keyPath, m := newMasterKey(b, b.TempDir())
	ids := extLockIDs(nLocks)
	url := startMosquitto(b, extHubUser, brokerUsers(m, ids))
	for i := range hubs {
		dir := b.TempDir()
		pw := writeSecretFile(b, dir, "mqtt-password", extHubPass)
		runHub(b, extSiteYAML(filepath.Join(dir, "data"), fmt.Sprintf("bench-%d", i), keyPath, ids, externalMQTT(url, pw)))
	}
	f, err := locks.NewFleet(locks.FleetConfig{
		BrokerURL: url, Count: nLocks,
		Identity: func(i int) (locks.Identity, error) { return lockIdentity(m, ids[i]), nil },
		Lock:     locks.LockConfig{RequestTimeout: 5 * time.Second},
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(f.Close)
	if rep, err := f.Connect(context.Background()); err != nil || rep.Failed > 0 {
		b.Fatalf("fleet connect: %v %v", rep, err)
	}
	return f
}

// BenchmarkExternalOpenLoop: 200 locks through Mosquitto, open loop (latency
// from the scheduled send, no coordinated omission), against one hub and
// two hubs sharing the requests. Each iteration is a 2 s run (use
// -benchtime=1x); the rate sweep shows round trip at a light load and the
// highest rate served without failures.
func BenchmarkExternalOpenLoop(b *testing.B) {
	for _, hubs := range []int{1, 2} {
		for _, rate := range []float64{500, 2000, 4000} {
			b.Run(fmt.Sprintf("hubs=%d/rate=%d", hubs, int(rate)), func(b *testing.B) {
				f := benchExternal(b, hubs, 200)
				var rep locks.TrafficReport
				for b.Loop() {
					var err error
					rep, err = f.Run(context.Background(), locks.Traffic{
						Rate: rate, Duration: 2 * time.Second, OpenLoop: true,
						Credentials: []locks.Credential{{Type: wire.TypeCard, Value: extCard}},
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				s := rep.Latency
				b.ReportMetric(rep.SendRate(), "taps/s")
				b.ReportMetric(s.Rate, "replies/s")
				b.ReportMetric(float64(s.P50)/1e3, "p50-µs")
				b.ReportMetric(float64(s.P99)/1e3, "p99-µs")
				b.ReportMetric(float64(rep.Failures()), "failures")
			})
		}
	}
}

// BenchmarkExternalRoundTrip: one lock, closed loop: the unloaded round
// trip lock -> Mosquitto -> hub -> Mosquitto -> lock.
func BenchmarkExternalRoundTrip(b *testing.B) {
	for _, hubs := range []int{1, 2} {
		b.Run(fmt.Sprintf("hubs=%d", hubs), func(b *testing.B) {
			l := benchExternal(b, hubs, 1).Locks()[0]
			var rec locks.Recorder
			for b.Loop() {
				r, lat, err := l.Tap(context.Background(), wire.TypeCard, extCard)
				if err != nil || !r.Granted() {
					b.Fatalf("tap: %+v, %v", r, err)
				}
				rec.Record(lat)
			}
			s := rec.Summary(0)
			b.ReportMetric(float64(s.P50)/1e3, "p50-µs")
			b.ReportMetric(float64(s.P99)/1e3, "p99-µs")
		})
	}
}
