package policy_test

import (
	"fmt"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// world generates a small random world around a DST change or another
// anchor day.
func (g *generator) world() *world {
	base := g.near(g.anchor(), 36*time.Hour)
	w := &world{states: map[string]policy.LockState{}, lastSync: map[string]time.Time{}, base: base}
	var domainIDs []string
	for i := range 1 + g.pick(3) {
		d := policy.Domain{ID: fmt.Sprintf("d%d", i), Zone: g.zones[g.pick(len(g.zones))], Origin: policy.OriginConfig}
		if g.chance(0.03) {
			d.Zone = nil
		}
		w.domains = append(w.domains, d)
		domainIDs = append(domainIDs, d.ID)
		switch {
		case g.chance(0.15): // never synced
		case g.chance(0.5):
			w.lastSync[d.ID] = g.near(base, 10*24*time.Hour)
		default:
			w.lastSync[d.ID] = g.jitter(base.Add(-[]time.Duration{7 * 24 * time.Hour, time.Hour, 48 * time.Hour}[g.pick(3)]))
		}
	}
	randomDomain := func() string {
		if g.chance(0.03) {
			return "d-missing"
		}
		return domainIDs[g.pick(len(domainIDs))]
	}
	var lockIDs []string
	for i := range 1 + g.pick(4) {
		l := policy.Lock{
			ID:             fmt.Sprintf("l%d", i),
			Domain:         randomDomain(),
			OfflineHorizon: []time.Duration{0, 0, -time.Hour, time.Hour, 48 * time.Hour, 10 * 24 * time.Hour}[g.pick(6)],
			UnlockDuration: []time.Duration{0, 0, 3 * time.Second, -time.Second}[g.pick(4)],
		}
		w.locks = append(w.locks, l)
		lockIDs = append(lockIDs, l.ID)
		var st policy.LockState
		st.Lockdown = g.chance(0.08)
		st.Released = g.chance(0.08)
		if g.chance(0.1) {
			st.KeypadLockedUntil = g.near(base, 6*time.Hour)
		}
		w.states[l.ID] = st
	}
	for i := range 3 + g.pick(6) {
		m := policy.Member{ID: fmt.Sprintf("m%d", i), Domain: randomDomain(), Status: policy.StatusActive}
		if g.chance(0.25) {
			m.Status = policy.MemberStatus(g.pick(5))
		}
		w.members = append(w.members, m)
		for range g.pick(4) {
			c := worldCred{domain: m.Domain, member: m.ID, cred: g.credential()}
			if g.chance(0.1) {
				c.domain = randomDomain()
			}
			w.creds = append(w.creds, c)
		}
	}
	if g.chance(0.2) {
		w.creds = append(w.creds, worldCred{domain: randomDomain(), member: "ghost", cred: g.credential()})
	}
	for i := range 2 + g.pick(4) {
		a := policy.Access{ID: fmt.Sprintf("a%d", i), Name: fmt.Sprintf("access %d", i), Domain: randomDomain(), Origin: policy.OriginConfig}
		for _, l := range lockIDs {
			if g.chance(0.6) {
				a.Locks = append(a.Locks, l)
			}
		}
		a.Schedule = g.schedule(base, a.Domain, w)
		w.accesses = append(w.accesses, a)
	}
	for i := range 4 * len(w.members) {
		gr := policy.Grant{
			GrantKey: policy.GrantKey{
				Origin:    []policy.Origin{policy.OriginConfig, policy.OriginNexudusREST, policy.OriginNexudusREST, policy.OriginWebhook, policy.OriginAdmin, policy.OriginUnknown}[g.pick(6)],
				Kind:      policy.GrantKind(1 + g.pick(5)),
				Reference: fmt.Sprintf("r%d", i),
			},
			Member: w.members[g.pick(len(w.members))].ID,
			Access: "a-missing",
		}
		if !g.chance(0.05) {
			gr.Access = w.accesses[g.pick(len(w.accesses))].ID
		}
		if g.chance(0.6) {
			gr.From = g.near(base, 3*24*time.Hour)
		}
		if g.chance(0.5) {
			gr.Until = g.near(base, 3*24*time.Hour)
		}
		w.grants = append(w.grants, gr)
	}
	if g.chance(0.4) {
		newest := base.Add(-5 * 24 * time.Hour)
		if g.chance(0.3) {
			newest = g.near(base, 2*time.Hour)
		}
		w.clock = policy.ClockMark{
			Newest:    newest,
			Tolerance: []time.Duration{0, -time.Second, 30 * time.Second, 5 * time.Minute, time.Hour}[g.pick(5)],
		}
	}
	return w
}

// credential returns one of a few credentials, so that members share some.
func (g *generator) credential() policy.Credential {
	return policy.Credential{
		Type:   []policy.CredentialType{policy.CredCard, policy.CredFob, policy.CredPIN, policy.CredPIN, policy.CredPhone}[g.pick(5)],
		Digest: g.digests[g.pick(len(g.digests))],
	}
}

// schedule returns a valid schedule with windows and holidays near base.
func (g *generator) schedule(base time.Time, domain string, w *world) policy.Schedule {
	edges := []uint16{0, 30, 60, 90, 120, 150, 180, 360, 480, 1080, 1320, 1380, 1439, 1440}
	var ws []policy.Window
	if !g.chance(0.25) {
		for range 1 + g.pick(3) {
			win := policy.Window{Days: policy.Days(1 + g.pick(127))}
			win.Start = uint16(g.pick(1440))
			if g.chance(0.6) {
				win.Start = edges[g.pick(len(edges)-1)]
			}
			win.End = uint16(1 + g.pick(1440))
			if g.chance(0.6) {
				win.End = edges[1+g.pick(len(edges)-1)]
			}
			if win.End == win.Start {
				win.End = win.Start + 1
			}
			ws = append(ws, win)
		}
	}
	zone := time.UTC
	for _, d := range w.domains {
		if d.ID == domain && d.Zone != nil {
			zone = d.Zone
		}
	}
	var hs []policy.Date
	for range g.pick(3) {
		y, m, d := g.near(base, 3*24*time.Hour).In(zone).Date()
		hs = append(hs, policy.Date(y*10000+int(m)*100+d))
	}
	s, err := policy.NewSchedule(ws, hs)
	if err != nil {
		panic(fmt.Sprintf("generator made an invalid schedule %+v: %v", ws, err))
	}
	return s
}

// instant picks a time for a request, usually at an edge that matters.
func (g *generator) instant(w *world) time.Time {
	switch k := g.pick(100); {
	case k < 15:
		return g.near(g.anchor(), 6*time.Hour)
	case k < 40: // a window edge, on a day near the base
		a := w.accesses[g.pick(len(w.accesses))]
		if len(a.Schedule.Windows) == 0 {
			break
		}
		win := a.Schedule.Windows[g.pick(len(a.Schedule.Windows))]
		m := int(win.Start)
		if g.chance(0.5) {
			m = int(win.End)
		}
		zone := g.zones[g.pick(len(g.zones))]
		for _, d := range w.domains {
			if d.ID == a.Domain && d.Zone != nil {
				zone = d.Zone
			}
		}
		y, mo, d := w.base.In(zone).Date()
		return g.jitter(time.Date(y, mo, d+g.pick(7)-3, m/60, m%60, 0, 0, zone))
	case k < 50: // a holiday's local midnight
		a := w.accesses[g.pick(len(w.accesses))]
		if len(a.Schedule.Holidays) == 0 {
			break
		}
		h := int(a.Schedule.Holidays[g.pick(len(a.Schedule.Holidays))])
		zone := g.zones[g.pick(len(g.zones))]
		for _, d := range w.domains {
			if d.ID == a.Domain && d.Zone != nil {
				zone = d.Zone
			}
		}
		return g.jitter(time.Date(h/10000, time.Month(h/100%100), h%100+g.pick(2), 0, 0, 0, 0, zone))
	case k < 65: // a grant's From or Until
		gr := w.grants[g.pick(len(w.grants))]
		if t := []time.Time{gr.From, gr.Until}[g.pick(2)]; !t.IsZero() {
			return g.jitter(t)
		}
	case k < 75: // a lock's offline horizon
		l := w.locks[g.pick(len(w.locks))]
		h := l.OfflineHorizon
		if h <= 0 {
			h = 7 * 24 * time.Hour
		}
		if t := w.lastSync[l.Domain]; !t.IsZero() {
			return g.jitter(t.Add(h))
		}
	case k < 82: // the clock mark's tolerance
		if !w.clock.Newest.IsZero() {
			tol := w.clock.Tolerance
			if tol <= 0 {
				tol = 5 * time.Minute
			}
			return g.jitter(w.clock.Newest.Add(-tol))
		}
	case k < 88: // a keypad lockout's end
		l := w.locks[g.pick(len(w.locks))]
		if t := w.states[l.ID].KeypadLockedUntil; !t.IsZero() {
			return g.jitter(t)
		}
	}
	return g.near(w.base, 4*24*time.Hour)
}

// request picks a lock and a credential or member.
func (g *generator) request(w *world) policy.Request {
	req := policy.Request{Lock: "l-missing"}
	if !g.chance(0.03) {
		req.Lock = w.locks[g.pick(len(w.locks))].ID
	}
	switch k := g.pick(100); {
	case k < 8:
		req.Member = "ghost"
		if !g.chance(0.2) {
			req.Member = w.members[g.pick(len(w.members))].ID
		}
	case k < 85 && len(w.creds) > 0:
		req.Credential = w.creds[g.pick(len(w.creds))].cred
		var dom string
		for _, l := range w.locks {
			if l.ID == req.Lock {
				dom = l.Domain
			}
		}
		for range 3 { // prefer a credential of the lock's domain
			if c := w.creds[g.pick(len(w.creds))]; c.domain == dom {
				req.Credential = c.cred
				break
			}
		}
	case k < 90:
		req.Credential = policy.Credential{Digest: g.digests[g.pick(len(g.digests))]} // CredUnknown
	default:
		req.Credential = g.credential()
		if g.chance(0.5) {
			req.Credential.Digest[5] = 0xFF // held by no one
		}
	}
	return req
}
