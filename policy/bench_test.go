package policy_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// benchWorld is a site of the size design.md §8 sets: 100,000 members with
// a card and a PIN each, 500,000 grants (5 per member), 200 accesses over 50
// locks in 5 domains. now is a Saturday 03:00 in Stockholm.
type benchWorld struct {
	v                      *mapView
	now                    time.Time
	allowed, outside, none policy.Request
	mixed                  []policy.Request
}

func newBenchWorld(b *testing.B) *benchWorld {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	sto := zone(b, "Europe/Stockholm")
	now := at(b, sto, 2026, time.June, 13, 3, 0)
	v := newMapView()
	zones := []string{"Europe/Stockholm", "America/New_York", "Australia/Lord_Howe", "UTC", "Europe/Stockholm"}
	office := schedule(b, []policy.Window{window(b, "mon-fri", "07:00", "19:00")}, "2026-01-01", "2026-04-03", "2026-05-01", "2026-06-19", "2026-12-24", "2026-12-25")
	night := schedule(b, []policy.Window{window(b, "fri", "22:00", "06:00"), window(b, "sat", "22:00", "06:00")})
	weekend := schedule(b, []policy.Window{window(b, "weekends", "09:00", "17:00")}, "2026-12-26")
	var accessIDs [5][]string
	for d, zn := range zones {
		dom := fmt.Sprintf("dom%d", d)
		v.addDomain(policy.Domain{ID: dom, Zone: zone(b, zn), Origin: policy.OriginConfig})
		v.lastSync[dom] = now.Add(-time.Hour)
		for l := range 10 {
			v.addLock(policy.Lock{ID: fmt.Sprintf("lock-%d-%d", d, l), Domain: dom, CheckIn: l == 0})
		}
		for a := range 40 {
			acc := policy.Access{ID: fmt.Sprintf("acc-%d-%d", d, a), Domain: dom, Name: fmt.Sprintf("access %d", a), Origin: policy.OriginNexudusREST}
			for range 1 + r.IntN(5) {
				acc.Locks = append(acc.Locks, fmt.Sprintf("lock-%d-%d", d, r.IntN(10)))
			}
			switch a % 10 {
			case 0, 1, 2:
				acc.Schedule = office
			case 3:
				acc.Schedule = night
			case 4:
				acc.Schedule = weekend
			}
			v.addAccess(acc)
			accessIDs[d] = append(accessIDs[d], acc.ID)
		}
	}
	v.clock = policy.ClockMark{Newest: now.Add(-time.Minute)}
	day := 24 * time.Hour
	for m := range 100_000 {
		d := m % 5
		dom, id := fmt.Sprintf("dom%d", d), fmt.Sprintf("member-%06d", m)
		v.addMember(policy.Member{ID: id, Domain: dom, Status: []policy.MemberStatus{policy.StatusActive, policy.StatusActive, policy.StatusActive, policy.StatusInactive}[r.IntN(4)], Origin: policy.OriginNexudusREST})
		v.addHolder(dom, cred(b, policy.CredCard, fmt.Sprintf("%08X", m)), id)
		v.addHolder(dom, cred(b, policy.CredPIN, fmt.Sprintf("%06d", r.IntN(1_000_000))), id)
		for g := range 5 {
			gr := grant(fmt.Sprintf("%s-%d", id, g), id, accessIDs[d][r.IntN(40)])
			switch k := r.IntN(10); {
			case k < 4: // a booking: a few hours, around now
				gr.Origin, gr.Kind = policy.OriginNexudusREST, policy.KindBooking
				gr.From = now.Add(time.Duration(r.IntN(14*24)-7*24) * time.Hour)
				gr.Until = gr.From.Add(time.Duration(1+r.IntN(8)) * time.Hour)
			case k < 6: // a pass: a day or a month
				gr.Origin, gr.Kind = policy.OriginNexudusREST, policy.KindPass
				gr.From = now.Add(-time.Duration(r.IntN(30)) * day)
				gr.Until = gr.From.Add([]time.Duration{day, 30 * day}[r.IntN(2)])
			case k < 8: // a contract, open-ended
				gr.Origin, gr.Kind = policy.OriginNexudusREST, policy.KindContract
				gr.From = now.Add(-time.Duration(r.IntN(365)) * day)
			case k < 9: // an access group from the webhook
				gr.Origin, gr.Kind = policy.OriginWebhook, policy.KindGroup
			}
			v.addGrant(gr)
		}
	}
	// Three members of dom0 with known grants for lock-0-0 (all of whose
	// accesses below contain it), each with five grants like the rest.
	bw := &benchWorld{v: v, now: now}
	v.accesses["acc-0-0"].Locks = append(v.accesses["acc-0-0"].Locks, "lock-0-0") // office
	v.accesses["acc-0-3"].Locks = append(v.accesses["acc-0-3"].Locks, "lock-0-0") // night
	v.accesses["acc-0-0"].Index()
	v.accesses["acc-0-3"].Index()
	set := func(member string, access ...string) {
		v.members[member].Status = policy.StatusActive
		gs := v.grants[member]
		for i := range gs {
			gs[i].Access, gs[i].Origin, gs[i].From, gs[i].Until = access[i], policy.OriginNexudusREST, now.Add(-day), now.Add(day)
		}
		v.repack(member)
	}
	set("member-000000", "acc-0-1", "acc-0-2", "acc-0-3", "acc-0-4", "acc-0-5") // third grant allowed
	set("member-000005", "acc-0-0", "acc-0-0", "acc-0-0", "acc-0-0", "acc-0-0") // office only: closed
	bw.allowed = policy.Request{Lock: "lock-0-0", Credential: cred(b, policy.CredCard, fmt.Sprintf("%08X", 0))}
	bw.outside = policy.Request{Lock: "lock-0-0", Credential: cred(b, policy.CredCard, fmt.Sprintf("%08X", 5))}
	bw.none = policy.Request{Lock: "lock-0-0", Credential: cred(b, policy.CredCard, "FFFFFFFFFF")}
	for range 4096 {
		m := r.IntN(100_000)
		bw.mixed = append(bw.mixed, policy.Request{Lock: fmt.Sprintf("lock-%d-%d", m%5, r.IntN(10)), Credential: cred(b, policy.CredCard, fmt.Sprintf("%08X", m))})
	}
	for _, c := range []struct {
		req  policy.Request
		want policy.Reason
	}{{bw.allowed, policy.ReasonAllowed}, {bw.outside, policy.ReasonOutsideSchedule}, {bw.none, policy.ReasonUnknownCredential}} {
		if got := policy.Decide(now, c.req, v); got.Reason != c.want {
			b.Fatalf("Decide(%v) = %v, want %v", reqString(now, c.req), got.Reason, c.want)
		}
	}
	return bw
}

func BenchmarkDecide(b *testing.B) {
	w := newBenchWorld(b)
	for _, bc := range []struct {
		name string
		req  policy.Request
	}{{"allowed", w.allowed}, {"outside_schedule", w.outside}, {"unknown_credential", w.none}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				policy.Decide(w.now, bc.req, w.v)
			}
			reportCPU(b, cpu)
		})
	}
	b.Run("mixed", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		cpu := processCPU()
		for b.Loop() {
			policy.Decide(w.now, w.mixed[i&4095], w.v)
			i++
		}
		reportCPU(b, cpu)
	})
}

func BenchmarkExplain(b *testing.B) {
	w := newBenchWorld(b)
	for _, bc := range []struct {
		name string
		req  policy.Request
	}{{"allowed", w.allowed}, {"outside_schedule", w.outside}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				policy.Explain(w.now, bc.req, w.v)
			}
			reportCPU(b, cpu)
		})
	}
}

// reportCPU reports the process CPU time per op since start, when measured.
func reportCPU(b *testing.B, start time.Duration) {
	if end := processCPU(); end > 0 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}
