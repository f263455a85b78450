package pull_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lockhub/lockhub/internal/keys"
	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/policy"
	sim "github.com/lockhub/lockhub/simulators/nexudus"
	"github.com/lockhub/lockhub/sync/nexudus"
	"github.com/lockhub/lockhub/sync/pull"
)

// scaleTenant is a simulator seeded with SeedScale(now, 10000) over HTTP.
type scaleTenant struct {
	clk  *clock
	sim  *sim.Server
	url  string
	uuid string
	zone *time.Location
	// ids of some resources and coworkers, for the incremental benchmark
	rooms, coworkers []int
}

func newScaleTenant(b *testing.B, throttle bool) *scaleTenant {
	b.Helper()
	st := &scaleTenant{clk: &clock{t: time.Date(2025, 3, 4, 6, 0, 0, 0, time.UTC)}}
	st.zone, _ = time.LoadLocation("Europe/Stockholm")
	st.sim = sim.New(sim.Config{Now: st.clk.Now, ThrottleOff: true, Seed: 1})
	if err := st.sim.SeedScale(st.clk.Now(), 10000); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(st.sim.Handler())
	b.Cleanup(srv.Close)
	st.url = srv.URL
	c, err := nexudus.New(nexudus.Config{BaseURL: st.url, Username: "admin@example.org", Password: "secret"}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	bizs, err := c.ListBusinesses(context.Background(), nexudus.Query{})
	if err != nil || len(bizs) != 1 {
		b.Fatalf("businesses: %v %v", bizs, err)
	}
	st.uuid = bizs[0].UniqueID
	rs, _ := c.ListResources(context.Background(), nexudus.Query{})
	for _, r := range rs {
		st.rooms = append(st.rooms, int(r.ID))
	}
	cws, _ := c.ListCoworkers(context.Background(), nexudus.Query{}.Size(100))
	for _, cw := range cws[:20] {
		st.coworkers = append(st.coworkers, int(cw.ID))
	}
	st.sim.SetThrottle(throttle)
	st.sim.ResetRequests()
	return st
}

// hubSide opens a fresh store with the demo keys and a syncer on it.
func (st *scaleTenant) hubSide(b *testing.B, paced bool) (*pull.Syncer, *store.Store) {
	b.Helper()
	s, err := store.Open(store.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	batch := store.NewBatch()
	batch.PutDomain(policy.Domain{ID: "tower", Zone: st.zone, NexudusBusiness: st.uuid, Origin: policy.OriginConfig})
	for _, g := range sim.DemoGroups() {
		batch.PutLock(policy.Lock{ID: "lock-" + g.ID, Domain: "tower", Origin: policy.OriginConfig})
		batch.PutAccess(policy.Access{ID: g.ID, Domain: "tower", Name: g.Name, Locks: []string{"lock-" + g.ID}, Origin: policy.OriginConfig})
	}
	if err := s.Apply(context.Background(), batch); err != nil {
		b.Fatal(err)
	}
	cfg := nexudus.Config{BaseURL: st.url, Username: "admin@example.org", Password: "secret", ClientID: fmt.Sprint("bench-", time.Now().UnixNano()),
		Location: st.zone, RequestsPerMinute: 1e6, Burst: 1000}
	if paced {
		cfg.RequestsPerMinute, cfg.Burst = 0, 0 // the defaults: 80/min, 8 at once
		cfg.Now, cfg.Sleep = st.clk.Now, st.clk.Sleep
	}
	c, err := nexudus.New(cfg, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	m, _ := keys.New(make([]byte, 32))
	syn, err := pull.New(pull.Config{Domains: []pull.Domain{{ID: "tower", Business: st.uuid, Zone: st.zone}},
		MarginBefore: 15 * time.Minute}, pull.Deps{Client: c, Store: storeAdapter{s}, Digest: m.Digest, Now: st.clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	return syn, s
}

// BenchmarkFullSync: the first pass (a full reconcile of the 7-day
// horizon) of 10k coworkers, 20k bookings, 5k passes and 2k contracts into
// an empty store, simulator throttle off.
func BenchmarkFullSync(b *testing.B) {
	st := newScaleTenant(b, false)
	var grants int
	for b.Loop() {
		b.StopTimer()
		syn, s := st.hubSide(b, false)
		st.sim.ResetRequests()
		b.StartTimer()
		if err := syn.RunIncremental(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		grants = s.Counts().Grants
		b.ReportMetric(float64(len(st.sim.RequestLog())), "requests/op")
		b.StartTimer()
	}
	b.ReportMetric(float64(grants), "grants")
}

// BenchmarkIncremental: one incremental pass after 20 bookings changed.
func BenchmarkIncremental(b *testing.B) {
	st := newScaleTenant(b, false)
	syn, _ := st.hubSide(b, false)
	if err := syn.RunIncremental(context.Background()); err != nil {
		b.Fatal(err)
	}
	// Past the cursor overlap of the seed itself (all records were made at
	// the same instant), as in a tenant whose records are not all new.
	st.clk.Add(30 * time.Minute)
	if err := syn.RunIncremental(context.Background()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		st.clk.Add(time.Minute)
		for i := range 20 {
			from := st.clk.Now().Add(time.Duration(i+1) * time.Hour)
			_, _ = st.sim.AddBooking(sim.BookingSpec{ResourceID: st.rooms[i%len(st.rooms)], CoworkerID: st.coworkers[i], From: from, To: from.Add(time.Hour)})
		}
		b.StartTimer()
		if err := syn.RunIncremental(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFullSyncPaced runs the same full sync with the client's default
// budget (80 requests/min, 8 at once) against the simulator's documented
// limits, in fake time, and reports how much fake time it took.
func BenchmarkFullSyncPaced(b *testing.B) {
	st := newScaleTenant(b, true)
	for b.Loop() {
		b.StopTimer()
		syn, _ := st.hubSide(b, true)
		st.sim.ResetRequests()
		start := st.clk.Now()
		b.StartTimer()
		if err := syn.RunIncremental(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(st.clk.Now().Sub(start).Seconds(), "paced-s/op")
		b.ReportMetric(float64(len(st.sim.RequestLog())), "requests/op")
		b.ReportMetric(float64(st.sim.Throttled()), "throttled/op")
		b.StartTimer()
	}
}
