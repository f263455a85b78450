package nexudus

import (
	"slices"
	"time"
)

// The access computation Nexudus runs before each Custom ACS webhook
// (nexudus.md §1 model, §2 state-not-delta): the full set of groups a
// customer should hold in one business now, with per-group expiries.

// accessLocked returns the groups of coworker cid in business bid at now and
// the expiry of each group that has one. An inactive or archived customer
// gets none. Runs under s.mu.
func (s *Server) accessLocked(bid, cid int, now time.Time, lead, lag time.Duration) ([]string, map[string]time.Time) {
	expiry := map[string]time.Time{} // zero value: no known end
	has := map[string]bool{}
	add := func(group string, until time.Time) {
		if group == "" {
			return
		}
		if !has[group] {
			has[group] = true
			expiry[group] = until
			return
		}
		cur := expiry[group]
		if cur.IsZero() || until.IsZero() {
			expiry[group] = time.Time{}
		} else if until.After(cur) {
			expiry[group] = until
		}
	}
	c := s.st.coworkers[cid]
	if c == nil || !c.active || c.archived {
		return []string{}, nil
	}
	for _, b := range s.st.bookings {
		if b.coworkerID != cid || b.tentative {
			continue
		}
		r := s.st.resources[b.resourceID]
		if r == nil || r.businessID != bid {
			continue
		}
		if now.Before(b.from.Add(-lead)) || !now.Before(b.to.Add(lag)) {
			continue
		}
		for _, g := range r.groups {
			add(g, b.to) // a booking's access ends when it ends (nexudus.md §7)
		}
	}
	for _, p := range s.st.passes {
		if p.coworkerID != cid || p.businessID != bid || p.used {
			continue
		}
		if !p.expire.IsZero() && !now.Before(p.expire) {
			continue
		}
		if tp := s.st.timePasses[p.passID]; tp != nil {
			for _, g := range tp.groups {
				add(g, p.expire)
			}
		}
	}
	for _, k := range s.st.contracts {
		if k.coworkerID != cid || !k.active || k.cancelled {
			continue
		}
		for _, did := range k.desks {
			if d := s.st.desks[did]; d != nil && d.businessID == bid {
				add(d.group, k.cancellation)
			}
		}
	}
	groups := make([]string, 0, len(has))
	for g := range has {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	for g, t := range expiry {
		if t.IsZero() {
			delete(expiry, g)
		}
	}
	return groups, expiry
}

// tickLocked applies the time-driven changes between the previous tick and
// now: contracts turning active or cancelled (their UpdatedOn moves), and
// the webhook timers (15 min before a booking starts and after it ends, a
// pass expiring). It returns whether the store changed.
func (s *Server) tickLocked(last, now time.Time) bool {
	crossed := func(t time.Time) bool { return !t.IsZero() && t.After(last) && !t.After(now) }
	changed := false
	for _, k := range s.st.contracts {
		if !k.active && !k.cancelled && crossed(k.start) && (k.cancellation.IsZero() || now.Before(k.cancellation)) {
			k.active = true
			touch(&k.stamps, now)
			changed = true
			s.hooks.triggerLocked(k.businessID, k.coworkerID, now)
		}
		if !k.cancelled && crossed(k.cancellation) {
			k.cancelled, k.active = true, false
			touch(&k.stamps, now)
			changed = true
			s.hooks.triggerLocked(k.businessID, k.coworkerID, now)
		}
	}
	lead, lag := s.hooks.window()
	for _, b := range s.st.bookings {
		if crossed(b.from.Add(-lead)) || crossed(b.to.Add(lag)) {
			s.hooks.triggerBookingLocked(b, now)
		}
	}
	for _, p := range s.st.passes {
		if crossed(p.expire) {
			s.hooks.triggerLocked(p.businessID, p.coworkerID, now)
		}
	}
	return changed
}

// Tick applies what happened between the previous Tick and the clock's now:
// contracts start or end, and webhook timers fire into the queue. Tests call
// it after moving the injected clock; Run calls it every second.
func (s *Server) Tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	last := s.hooks.swapLastTick(now)
	if last.IsZero() || now.Before(last) {
		return
	}
	if s.tickLocked(last, now) {
		s.st.version++
	}
}
