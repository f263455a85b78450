package policy_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// TestDecideDifferential checks Decide and Explain against naiveDecide on
// randomized worlds and instants concentrated around DST changes and the
// edges of windows, grants, horizons and clock marks.
func TestDecideDifferential(t *testing.T) {
	const seed = 20260329
	worlds, perWorld := 400, 50
	if testing.Short() {
		worlds = 40
	}
	gen := newGenerator(t, seed)
	var cases, disagreements int
	reasons := map[policy.Reason]int{}
	for range worlds {
		w := gen.world()
		v := viewOf(w)
		for range perWorld {
			now, req := gen.instant(w), gen.request(w)
			cases++
			want, perGrant, reached := naiveDecide(now, req, w)
			reasons[want.Reason]++
			got := policy.Decide(now, req, v)
			ex := policy.Explain(now, req, v)
			var problems []string
			if got != want {
				problems = append(problems, fmt.Sprintf("Decide(%v) = %+v, want %+v", reqString(now, req), got, want))
			}
			if ex.Decision != got {
				problems = append(problems, fmt.Sprintf("Explain(%v).Decision = %+v, Decide = %+v", reqString(now, req), ex.Decision, got))
			}
			problems = append(problems, checkCandidates(ex, w, perGrant, reached)...)
			if len(problems) > 0 {
				disagreements++
				if disagreements <= 5 {
					t.Errorf("%s\n%s", strings.Join(problems, "\n"), describe(w, now, req))
				}
			}
		}
	}
	if disagreements > 0 {
		t.Fatalf("%d of %d cases disagree (seed %d)", disagreements, cases, seed)
	}
	t.Logf("%d cases, reasons: %v", cases, reasons)
	// The generator must reach every reason, or the comparison proves little.
	for _, r := range policy.Reasons() {
		if reasons[r] == 0 && !testing.Short() {
			t.Errorf("no case gave %v: the generator needs tuning", r)
		}
	}
}

// checkCandidates checks that Explain lists one candidate per grant of the
// member, in order, with the naive per-grant reason.
func checkCandidates(ex policy.Explanation, w *world, perGrant []policy.Reason, reached bool) []string {
	if !reached {
		if len(ex.Candidates) != 0 {
			return []string{fmt.Sprintf("Explain lists %d candidates for a request stopped before the grants", len(ex.Candidates))}
		}
		return nil
	}
	var problems []string
	var mine []policy.Grant
	for _, g := range w.grants {
		if g.Member == ex.Decision.Member {
			mine = append(mine, g)
		}
	}
	if len(ex.Candidates) != len(mine) {
		return []string{fmt.Sprintf("Explain lists %d candidates, member has %d grants", len(ex.Candidates), len(mine))}
	}
	for i, c := range ex.Candidates {
		if c.Grant != mine[i] || c.Reason != perGrant[i] {
			problems = append(problems, fmt.Sprintf("candidate %d = %v %v, want %v %v", i, c.Grant.GrantKey, c.Reason, mine[i].GrantKey, perGrant[i]))
		}
		wantName := ""
		for _, a := range w.accesses {
			if a.ID == mine[i].Access {
				wantName = a.Name
			}
		}
		if c.AccessName != wantName {
			problems = append(problems, fmt.Sprintf("candidate %d access name %q, want %q", i, c.AccessName, wantName))
		}
	}
	if ex.Member == nil || ex.Member.ID != ex.Decision.Member {
		problems = append(problems, fmt.Sprintf("Explain.Member = %v, want member %q", ex.Member, ex.Decision.Member))
	}
	return problems
}

// viewOf builds the view under test from a world.
func viewOf(w *world) *mapView {
	v := newMapView()
	for _, d := range w.domains {
		v.addDomain(d)
	}
	for _, l := range w.locks {
		v.addLock(l)
	}
	for _, m := range w.members {
		v.addMember(m)
	}
	for _, c := range w.creds {
		v.addHolder(c.domain, c.cred, c.member)
	}
	for i, a := range w.accesses {
		if i%2 == 0 {
			a.Index() // exercise both Has paths
		}
		v.accesses[a.ID] = &a
	}
	for _, g := range w.grants {
		v.addGrant(g)
	}
	for k, st := range w.states {
		v.states[k] = st
	}
	for k, t := range w.lastSync {
		v.lastSync[k] = t
	}
	v.clock = w.clock
	return v
}

// describe prints a case compactly for a failure message: the request, the
// lock and its domain, and the records the request can reach.
func describe(w *world, now time.Time, req policy.Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  now %s (unix ns %d)\n", ts(now), now.UnixNano())
	if req.Member != "" {
		fmt.Fprintf(&b, "  request lock %s member %s\n", req.Lock, req.Member)
	} else {
		fmt.Fprintf(&b, "  request lock %s %v#%x\n", req.Lock, req.Credential.Type, req.Credential.Digest[:6])
	}
	fmt.Fprintf(&b, "  clock mark %s tolerance %v\n", ts(w.clock.Newest), w.clock.Tolerance)
	dom := ""
	for _, l := range w.locks {
		if l.ID == req.Lock {
			st := w.states[l.ID]
			dom = l.Domain
			fmt.Fprintf(&b, "  lock %s domain %s horizon %v unlock %v lockdown %v released %v keypad until %s\n",
				l.ID, l.Domain, l.OfflineHorizon, l.UnlockDuration, st.Lockdown, st.Released, ts(st.KeypadLockedUntil))
		}
	}
	for _, d := range w.domains {
		if d.ID == dom {
			fmt.Fprintf(&b, "  domain %s zone %v local %s last sync %s\n", d.ID, d.Zone, now.In(orUTC(d.Zone)).Format("Mon 2006-01-02 15:04:05.999999999 -0700"), ts(w.lastSync[d.ID]))
		}
	}
	who := map[string]bool{req.Member: true}
	for _, c := range w.creds {
		if req.Member == "" && c.cred == req.Credential {
			fmt.Fprintf(&b, "  holder %s in %s\n", c.member, c.domain)
			who[c.member] = true
		}
	}
	for _, m := range w.members {
		if who[m.ID] {
			fmt.Fprintf(&b, "  member %s domain %s %v\n", m.ID, m.Domain, m.Status)
		}
	}
	used := map[string]bool{}
	for _, g := range w.grants {
		if who[g.Member] {
			fmt.Fprintf(&b, "  grant %v member %s access %s [%s, %s)\n", g.GrantKey, g.Member, g.Access, ts(g.From), ts(g.Until))
			used[g.Access] = true
		}
	}
	for _, a := range w.accesses {
		if used[a.ID] {
			fmt.Fprintf(&b, "  access %s domain %s locks %v windows %+v holidays %v\n", a.ID, a.Domain, a.Locks, a.Schedule.Windows, a.Schedule.Holidays)
		}
	}
	return b.String()
}

// ts formats an instant for describe; "-" for the zero time.
func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func orUTC(l *time.Location) *time.Location {
	if l == nil {
		return time.UTC
	}
	return l
}

// generator makes random worlds, requests and instants.
type generator struct {
	r       *rand.Rand
	zones   []*time.Location
	anchors []time.Time // DST changes of 2026 in the zones, and plain days
	digests []policy.Digest
}

func newGenerator(tb testing.TB, seed uint64) *generator {
	tb.Helper()
	g := &generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for _, n := range []string{"Europe/Stockholm", "America/New_York", "Australia/Lord_Howe", "UTC"} {
		g.zones = append(g.zones, zone(tb, n))
	}
	// Find every offset change of 2026 in the zones by brute force.
	for _, z := range g.zones {
		t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		_, prev := t.In(z).Zone()
		for ; t.Year() < 2027; t = t.Add(15 * time.Minute) {
			if _, off := t.In(z).Zone(); off != prev {
				g.anchors = append(g.anchors, t)
				prev = off
			}
		}
	}
	if len(g.anchors) != 6 {
		tb.Fatalf("found %d DST changes in 2026, want 6", len(g.anchors))
	}
	g.anchors = append(g.anchors, time.Date(2026, 6, 19, 22, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC))
	for i := range 5 {
		var d policy.Digest
		d[0], d[31] = byte(i), 0xAA
		g.digests = append(g.digests, d)
	}
	return g
}

func (g *generator) pick(n int) int        { return g.r.IntN(n) }
func (g *generator) chance(p float64) bool { return g.r.Float64() < p }

func (g *generator) anchor() time.Time { return g.anchors[g.pick(len(g.anchors))] }

// near returns an instant within a few days of t, often on a whole minute.
func (g *generator) near(t time.Time, span time.Duration) time.Time {
	d := time.Duration(g.r.Int64N(int64(2*span))) - span
	if g.chance(0.5) {
		d = d.Truncate(time.Minute)
	}
	return t.Add(d)
}

// jitter moves t by one of the deltas that matter at an edge.
func (g *generator) jitter(t time.Time) time.Time {
	deltas := []time.Duration{0, 0, -time.Nanosecond, time.Nanosecond, -time.Second, -time.Minute, time.Minute,
		-30 * time.Minute, 30 * time.Minute, -time.Hour, time.Hour, 59 * time.Second}
	return t.Add(deltas[g.pick(len(deltas))])
}
