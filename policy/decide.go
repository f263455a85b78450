package policy

import "time"

// DefaultClockTolerance is how far the clock may run behind the newest
// decision time the hub has recorded before it is untrusted.
const DefaultClockTolerance = 5 * time.Minute

// ClockMark is the newest decision time the hub has recorded and how far
// behind it a clock may be and still be trusted (zero: DefaultClockTolerance).
type ClockMark struct {
	Newest    time.Time
	Tolerance time.Duration
}

// Trusted reports whether now is not more than the tolerance behind the mark.
func (c ClockMark) Trusted(now time.Time) bool {
	if c.Newest.IsZero() {
		return true
	}
	tol := c.Tolerance
	if tol <= 0 {
		tol = DefaultClockTolerance
	}
	return !now.Before(c.Newest.Add(-tol))
}

// View is the read side of the hub's cache that Decide consults. Its methods
// must not block on I/O and should not allocate; returned pointers and slices
// belong to the view and must not be modified. A View is a consistent
// snapshot for the duration of one Decide call.
type View interface {
	// Lock returns the lock, or nil when it is unknown.
	Lock(id string) *Lock
	// LockState returns the lock's runtime state (lockdown, release, keypad).
	LockState(id string) LockState
	// Domain returns the domain, or nil when it is unknown.
	Domain(id string) *Domain
	// Member returns the member, or nil when it is unknown.
	Member(id string) *Member
	// Holders returns the ids of the members of the domain holding the
	// credential (several distinct members make it ambiguous).
	Holders(domain string, c Credential) []string
	// Grants returns the member's grants, sorted by grant key.
	Grants(member string) GrantList
	// Access returns the access, or nil when it is unknown.
	Access(id string) *Access
	// LastSync returns when the domain's last successful Nexudus REST pass
	// finished; zero if it never had one.
	LastSync(domain string) time.Time
	// Clock returns the hub's clock mark.
	Clock() ClockMark
}

// Request asks whether a credential, or a member, may open a lock.
type Request struct {
	Lock string
	// Credential presented at the lock. Ignored when Member is set.
	Credential Credential
	// Member, when set, asks for this member directly (explainer, admin
	// tools); credential checks are then skipped.
	Member string
}

// Decision is the outcome of Decide.
type Decision struct {
	Reason Reason
	// Member is the member the credential resolved to; empty when it did not
	// resolve to exactly one.
	Member string
	// Grant and Access are the matching grant when allowed, and the grant that
	// came closest when denied by grants; zero otherwise.
	Grant  GrantKey
	Access string
	// Unlock is how long the lock should stay open; zero when denied.
	Unlock time.Duration
}

// Allowed reports whether the decision opens the door.
func (d Decision) Allowed() bool { return d.Reason == ReasonAllowed }

// Decide decides whether req may open its lock at now. It is pure: its result
// depends only on its arguments. It allocates nothing.
func Decide(now time.Time, req Request, v View) Decision {
	return decide(now, req, v, nil)
}

// visitFunc receives each candidate grant and its reason (Explain only).
type visitFunc func(g Grant, a *Access, r Reason)

func decide(now time.Time, req Request, v View, visit visitFunc) Decision {
	if !v.Clock().Trusted(now) {
		return Decision{Reason: ReasonClockUntrusted}
	}
	lock := v.Lock(req.Lock)
	if lock == nil {
		return Decision{Reason: ReasonUnknownLock}
	}
	dom := v.Domain(lock.Domain)
	if dom == nil || dom.Zone == nil {
		return Decision{Reason: ReasonMisconfigured}
	}
	st := v.LockState(req.Lock)
	if req.Member == "" && req.Credential.Type == CredPIN && now.Before(st.KeypadLockedUntil) {
		return Decision{Reason: ReasonKeypadLockedOut}
	}
	if st.Lockdown && !st.Released {
		return Decision{Reason: ReasonLockdown}
	}
	memberID := req.Member
	if memberID == "" {
		if req.Credential.Type == CredUnknown {
			return Decision{Reason: ReasonUnknownCredential}
		}
		holders := v.Holders(lock.Domain, req.Credential)
		if len(holders) == 0 {
			return Decision{Reason: ReasonUnknownCredential}
		}
		for _, h := range holders[1:] {
			if h != holders[0] {
				return Decision{Reason: ReasonAmbiguousCredential}
			}
		}
		memberID = holders[0]
	}
	m := v.Member(memberID)
	if m == nil {
		return Decision{Reason: ReasonUnknownCredential}
	}
	if m.Status != StatusActive {
		return Decision{Reason: ReasonMemberInactive, Member: m.ID}
	}
	best := Decision{Reason: ReasonNoGrant, Member: m.ID}
	bestRank := -1
	lastSync := v.LastSync(lock.Domain)
	grants := v.Grants(m.ID)
	n := grants.Len()
	var local localTime
	if n > 0 {
		local = localTimeOf(now, dom.Zone) // once, not once per grant
	}
	for i := 0; i < n; i++ {
		g := grants.At(i)
		a := v.Access(g.Access)
		r := grantReason(now, local, &g, a, lock, lastSync)
		if visit != nil {
			visit(g, a, r)
		}
		if rank := grantRank(r); rank > bestRank {
			bestRank = rank
			best.Reason = r
			if r != ReasonNoGrant {
				best.Grant, best.Access = g.GrantKey, g.Access
			}
			if r == ReasonAllowed {
				best.Unlock = lock.Unlock()
				if visit == nil {
					return best
				}
			}
		}
	}
	return best
}

// grantReason evaluates one grant for the lock at now (local: now in the
// domain's zone).
func grantReason(now time.Time, local localTime, g *Grant, a *Access, lock *Lock, lastSync time.Time) Reason {
	if a == nil || a.Domain != lock.Domain || !a.Has(lock.ID) {
		return ReasonNoGrant
	}
	if !g.From.IsZero() && now.Before(g.From) {
		return ReasonNotYetValid
	}
	if !g.Until.IsZero() && !now.Before(g.Until) {
		return ReasonExpired
	}
	if g.OpenEnded() && g.Origin.FromNexudus() &&
		(lastSync.IsZero() || now.Sub(lastSync) > lock.Horizon()) {
		return ReasonDataStale
	}
	switch a.Schedule.at(local) {
	case ScheduleHoliday:
		return ReasonHoliday
	case ScheduleClosed:
		return ReasonOutsideSchedule
	}
	return ReasonAllowed
}
