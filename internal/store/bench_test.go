package store

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// largeBatch is a site of the size of the design targets: members with a card
// and a phone key each, grantsPer grants per member over 50 accesses of 10
// locks (some with schedules), of several origins and kinds.
func largeBatch(tb testing.TB, members, grantsPer int) (*Batch, []policy.Credential) {
	tb.Helper()
	b := NewBatch()
	b.PutDomain(policy.Domain{ID: "hq", Zone: mustZone(tb, "Europe/Berlin"), Origin: policy.OriginConfig})
	for i := range 500 {
		b.PutLock(policy.Lock{ID: fmt.Sprintf("lock-%03d", i), Domain: "hq", Origin: policy.OriginConfig})
	}
	for i := range 50 {
		a := policy.Access{ID: fmt.Sprintf("acc-%02d", i), Domain: "hq", Origin: policy.OriginNexudusREST}
		for j := range 10 {
			a.Locks = append(a.Locks, fmt.Sprintf("lock-%03d", i*10+j))
		}
		if i%2 == 1 {
			a.Schedule.Windows = []policy.Window{{Days: policy.AllDays, Start: 0, End: 1440}}
		}
		b.PutAccess(a)
	}
	cards := make([]policy.Credential, members)
	kinds := []policy.GrantKind{policy.KindBooking, policy.KindPass, policy.KindContract, policy.KindGroup, policy.KindManual}
	origins := []policy.Origin{policy.OriginNexudusREST, policy.OriginNexudusREST, policy.OriginNexudusREST, policy.OriginWebhook, policy.OriginAdmin}
	for i := range members {
		id := fmt.Sprintf("member-%06d", i)
		cards[i] = digest(tb, policy.CredCard, fmt.Sprintf("%014X", 0x04000000000000+i))
		b.PutMember(policy.Member{ID: id, Domain: "hq", Name: "Member " + id, Email: id + "@example.org", Status: policy.StatusActive, Origin: policy.OriginNexudusREST},
			[]policy.Credential{cards[i], digest(tb, policy.CredPhone, fmt.Sprintf("phone-key-%012d", i))})
		for j := range grantsPer {
			b.PutGrant(policy.Grant{GrantKey: policy.GrantKey{Origin: origins[j%5], Kind: kinds[j%5], Reference: fmt.Sprintf("%s/%d", id, j)},
				Member: id, Access: fmt.Sprintf("acc-%02d", (i+j*7)%50), From: t0.AddDate(0, 0, -j), Until: t0.AddDate(0, 0, 30+j)})
		}
	}
	return b, cards
}

func buildLarge(tb testing.TB, dir string, members, grantsPer int) []policy.Credential {
	tb.Helper()
	s := openAt(tb, dir)
	b, cards := largeBatch(tb, members, grantsPer)
	b.SetLastSync("hq", t0)
	start := time.Now()
	apply(tb, s, b)
	tb.Logf("applied %d members, %d grants in %v", members, members*grantsPer, time.Since(start))
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	return cards
}

func BenchmarkStoreDecide(b *testing.B) {
	dir := b.TempDir()
	cards := buildLarge(b, dir, 100_000, 5)
	s := openAt(b, dir)
	defer s.Close()
	reqs := make([]policy.Request, 4096)
	for i := range reqs {
		m := (i * 7919) % len(cards)
		// The member's first grant is for acc-(m%50), locks acc*10..+9.
		reqs[i] = policy.Request{Lock: fmt.Sprintf("lock-%03d", (m%50)*10+i%10), Credential: cards[m]}
	}
	if d := s.Decide(t0, reqs[0]); d.Reason != policy.ReasonAllowed {
		b.Fatalf("fixture decision = %+v", d)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Decide(t0, reqs[i&4095])
		i++
	}
}

func BenchmarkStoreDecideParallel(b *testing.B) {
	dir := b.TempDir()
	cards := buildLarge(b, dir, 100_000, 5)
	s := openAt(b, dir)
	defer s.Close()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m := (i * 7919) % len(cards)
			s.Decide(t0, policy.Request{Lock: "lock-001", Credential: cards[m]})
			i++
		}
	})
}

func BenchmarkColdStart(b *testing.B) {
	dir := b.TempDir()
	buildLarge(b, dir, 100_000, 5)
	// The heap the loaded view keeps (what the hub holds while it runs).
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := Open(Config{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	view := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	objects := float64(after.HeapObjects - before.HeapObjects)
	// What every GC cycle pays for the view while the hub runs: a full
	// collection with the view as (nearly) the whole live heap.
	gcStart := time.Now()
	runtime.GC()
	gcMS := float64(time.Since(gcStart).Microseconds()) / 1000
	s.Close()
	b.ReportAllocs()
	for b.Loop() {
		s, err := Open(Config{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		if c := s.Counts(); c.Grants != 500_000 || c.Members != 100_000 {
			b.Fatalf("Counts = %+v", c)
		}
		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(view, "view-heap-MiB")
	b.ReportMetric(objects, "view-objects")
	b.ReportMetric(gcMS, "gc-ms")
}

// BenchmarkApply applies 10k-grant batches (changed windows of existing
// grants) to a small and to a large store.
func BenchmarkApply(b *testing.B) {
	for _, size := range []struct {
		name    string
		members int
	}{{"base=10k-grants", 2000}, {"base=500k-grants", 100_000}} {
		b.Run(size.name, func(b *testing.B) {
			dir := b.TempDir()
			buildLarge(b, dir, size.members, 5)
			s := openAt(b, dir)
			defer s.Close()
			round := 0
			for b.Loop() {
				b.StopTimer()
				batch := NewBatch()
				round++
				for i := range 10_000 {
					m, j := i/5%size.members, i%5
					id := fmt.Sprintf("member-%06d", m)
					kinds := []policy.GrantKind{policy.KindBooking, policy.KindPass, policy.KindContract, policy.KindGroup, policy.KindManual}
					origins := []policy.Origin{policy.OriginNexudusREST, policy.OriginNexudusREST, policy.OriginNexudusREST, policy.OriginWebhook, policy.OriginAdmin}
					batch.PutGrant(policy.Grant{GrantKey: policy.GrantKey{Origin: origins[j], Kind: kinds[j], Reference: fmt.Sprintf("%s/%d", id, j)},
						Member: id, Access: "acc-01", From: t0.Add(time.Duration(round) * time.Second)})
				}
				b.StartTimer()
				if err := s.Apply(b.Context(), batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
