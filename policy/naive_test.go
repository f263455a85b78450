package policy_test

import (
	"time"

	"github.com/lockhub/lockhub/policy"
)

// world is the raw data of a randomized case. The naive evaluator reads it
// by linear scans; the mapView under test is built from it.
type world struct {
	domains  []policy.Domain
	locks    []policy.Lock
	states   map[string]policy.LockState
	members  []policy.Member
	creds    []worldCred
	accesses []policy.Access
	grants   []policy.Grant // in view order per member
	lastSync map[string]time.Time
	clock    policy.ClockMark
	base     time.Time // the instant the world was generated around
}

type worldCred struct {
	domain, member string
	cred           policy.Credential
}

// naiveDecide is a second, deliberately simple implementation of the rules
// in policy/doc.go. It uses none of policy's helpers (no Trusted, Has,
// Valid, Horizon, Unlock, OpenEnded, FromNexudus, Schedule.At, DateOf): only
// the records' fields, linear scans, a brute-force minute-of-week line and
// integer calendar arithmetic. It also returns the per-grant reasons of the
// member's grants when the request got that far (reached is then true).
func naiveDecide(now time.Time, req policy.Request, w *world) (d policy.Decision, perGrant []policy.Reason, reached bool) {
	// 1. Clock: untrusted when now < newest - tolerance.
	if !w.clock.Newest.IsZero() {
		tol := w.clock.Tolerance
		if tol <= 0 {
			tol = 5 * time.Minute
		}
		if now.Before(w.clock.Newest.Add(-tol)) {
			return policy.Decision{Reason: policy.ReasonClockUntrusted}, nil, false
		}
	}
	// 2. Lock, and its domain with a zone.
	var lock *policy.Lock
	for i := range w.locks {
		if w.locks[i].ID == req.Lock {
			lock = &w.locks[i]
		}
	}
	if lock == nil {
		return policy.Decision{Reason: policy.ReasonUnknownLock}, nil, false
	}
	var dom *policy.Domain
	for i := range w.domains {
		if w.domains[i].ID == lock.Domain {
			dom = &w.domains[i]
		}
	}
	if dom == nil || dom.Zone == nil {
		return policy.Decision{Reason: policy.ReasonMisconfigured}, nil, false
	}
	st := w.states[lock.ID]
	// 3. Keypad lockout, for PINs presented at the lock.
	if req.Member == "" && req.Credential.Type == policy.CredPIN &&
		!st.KeypadLockedUntil.IsZero() && now.UnixNano() < st.KeypadLockedUntil.UnixNano() {
		return policy.Decision{Reason: policy.ReasonKeypadLockedOut}, nil, false
	}
	// 4. Lockdown unless released.
	if st.Lockdown && !st.Released {
		return policy.Decision{Reason: policy.ReasonLockdown}, nil, false
	}
	// 5. Exactly one member of the lock's domain holds the credential.
	memberID := req.Member
	if memberID == "" {
		var distinct []string
		for _, c := range w.creds {
			if c.domain != lock.Domain || c.cred != req.Credential || c.cred.Type == policy.CredUnknown {
				continue
			}
			seen := false
			for _, m := range distinct {
				seen = seen || m == c.member
			}
			if !seen {
				distinct = append(distinct, c.member)
			}
		}
		switch len(distinct) {
		case 0:
			return policy.Decision{Reason: policy.ReasonUnknownCredential}, nil, false
		case 1:
			memberID = distinct[0]
		default:
			return policy.Decision{Reason: policy.ReasonAmbiguousCredential}, nil, false
		}
	}
	var member *policy.Member
	for i := range w.members {
		if w.members[i].ID == memberID {
			member = &w.members[i]
		}
	}
	if member == nil {
		return policy.Decision{Reason: policy.ReasonUnknownCredential}, nil, false
	}
	// 6. Active members only.
	if member.Status != policy.StatusActive {
		return policy.Decision{Reason: policy.ReasonMemberInactive, Member: member.ID}, nil, false
	}
	// 7. The grant that got furthest, first on ties.
	best := policy.Decision{Reason: policy.ReasonNoGrant, Member: member.ID}
	bestRank := -1
	for i := range w.grants {
		g := &w.grants[i]
		if g.Member != member.ID {
			continue
		}
		r := naiveGrant(now, g, lock, dom, w)
		perGrant = append(perGrant, r)
		if rank := naiveRank(r); rank > bestRank {
			bestRank = rank
			best.Reason = r
			if r != policy.ReasonNoGrant {
				best.Grant, best.Access = g.GrantKey, g.Access
			}
		}
	}
	if best.Reason == policy.ReasonAllowed {
		best.Unlock = lock.UnlockDuration
		if best.Unlock <= 0 {
			best.Unlock = 5 * time.Second
		}
	}
	return best, perGrant, true
}

// naiveRank orders grant reasons as doc.go lists the checks: lock, window,
// data age, holiday, schedule.
func naiveRank(r policy.Reason) int {
	order := []policy.Reason{
		policy.ReasonNoGrant, policy.ReasonNotYetValid, policy.ReasonDataStale,
		policy.ReasonHoliday, policy.ReasonOutsideSchedule, policy.ReasonAllowed,
	}
	if r == policy.ReasonExpired {
		r = policy.ReasonNotYetValid // same check: the validity window
	}
	for i, o := range order {
		if o == r {
			return i
		}
	}
	panic("naiveRank: not a grant reason: " + r.String())
}

func naiveGrant(now time.Time, g *policy.Grant, lock *policy.Lock, dom *policy.Domain, w *world) policy.Reason {
	var acc *policy.Access
	for i := range w.accesses {
		if w.accesses[i].ID == g.Access {
			acc = &w.accesses[i]
		}
	}
	if acc == nil || acc.Domain != lock.Domain {
		return policy.ReasonNoGrant
	}
	hasLock := false
	for _, l := range acc.Locks {
		hasLock = hasLock || l == lock.ID
	}
	if !hasLock {
		return policy.ReasonNoGrant
	}
	n := now.UnixNano()
	if !g.From.IsZero() && n < g.From.UnixNano() {
		return policy.ReasonNotYetValid
	}
	if !g.Until.IsZero() && n >= g.Until.UnixNano() {
		return policy.ReasonExpired
	}
	nexudus := g.Origin == policy.OriginNexudusREST || g.Origin == policy.OriginWebhook
	if g.Until.IsZero() && nexudus {
		last := w.lastSync[lock.Domain]
		horizon := lock.OfflineHorizon
		if horizon <= 0 {
			horizon = 7 * 24 * time.Hour
		}
		if last.IsZero() || n > last.Add(horizon).UnixNano() {
			return policy.ReasonDataStale
		}
	}
	date, weekday, minute := naiveLocal(now, dom.Zone)
	for _, h := range acc.Schedule.Holidays {
		if int(h) == date {
			return policy.ReasonHoliday
		}
	}
	if len(acc.Schedule.Windows) == 0 {
		return policy.ReasonAllowed
	}
	if naiveWeekLine(acc.Schedule.Windows)[weekday*1440+minute] {
		return policy.ReasonAllowed
	}
	return policy.ReasonOutsideSchedule
}

// naiveLocal converts an instant to the local calendar date (yyyymmdd),
// weekday (0 = Sunday) and minute of the day in zone, by integer arithmetic
// on the zone's UTC offset at that instant.
func naiveLocal(t time.Time, zone *time.Location) (date, weekday, minute int) {
	_, offset := t.In(zone).Zone()
	secs := t.Unix() + int64(offset)
	days := floorDiv(secs, 86400)
	sod := secs - days*86400
	weekday = int(((days+4)%7 + 7) % 7) // 1970-01-01 was a Thursday
	y, m, d := civilFromDays(days)
	return y*10000 + m*100 + d, weekday, int(sod / 60)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// civilFromDays is H. Hinnant's days-to-civil algorithm (proleptic
// Gregorian calendar, day 0 = 1970-01-01).
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	mm := mp + 3
	if mp >= 10 {
		mm = mp - 9
	}
	if mm <= 2 {
		yy++
	}
	return int(yy), int(mm), int(dd)
}

// naiveWeekLine marks every open minute of the week (index weekday*1440 +
// minute) by walking each window minute by minute.
func naiveWeekLine(ws []policy.Window) []bool {
	line := make([]bool, 7*1440)
	for _, w := range ws {
		for day := 0; day < 7; day++ {
			if uint8(w.Days)&(1<<day) == 0 {
				continue
			}
			length := int(w.End) - int(w.Start)
			if length <= 0 {
				length += 1440
			}
			for k := 0; k < length; k++ {
				line[(day*1440+int(w.Start)+k)%(7*1440)] = true
			}
		}
	}
	return line
}
