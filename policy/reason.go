package policy

import "fmt"

// Reason is the machine-readable outcome of a decision. Its String form is
// stable: metrics, events and the lock protocol use it.
type Reason uint8

// Reasons. Only ReasonAllowed opens a door.
const (
	ReasonNone                Reason = iota // never returned by Decide
	ReasonAllowed                           // a grant matched
	ReasonClockUntrusted                    // the hub's clock is behind its own records
	ReasonUnknownLock                       // the lock is not configured
	ReasonMisconfigured                     // the lock's domain or zone is missing
	ReasonKeypadLockedOut                   // too many wrong PINs at this keypad
	ReasonLockdown                          // the lock is in lockdown
	ReasonUnknownCredential                 // no member of the domain holds it
	ReasonAmbiguousCredential               // several members of the domain hold it
	ReasonMemberInactive                    // the member is not active
	ReasonNoGrant                           // no grant of the member covers this lock
	ReasonNotYetValid                       // the closest grant starts later
	ReasonExpired                           // the closest grant has ended
	ReasonDataStale                         // open-ended Nexudus grant, data older than the offline horizon
	ReasonHoliday                           // the access is closed on this holiday
	ReasonOutsideSchedule                   // outside the access's weekly windows
	numReasons
)

var reasonNames = [numReasons]string{
	"none", "allowed", "clock_untrusted", "unknown_lock", "misconfigured", "keypad_locked_out",
	"lockdown", "unknown_credential", "ambiguous_credential", "member_inactive", "no_grant",
	"not_yet_valid", "expired", "data_stale", "holiday", "outside_schedule",
}

func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// ParseReason is the inverse of Reason.String.
func ParseReason(s string) (Reason, error) {
	for i, n := range reasonNames {
		if i > 0 && n == s {
			return Reason(i), nil
		}
	}
	return ReasonNone, fmt.Errorf("unknown reason %q", s)
}

// Reasons returns every reason Decide can return, for metrics that want to
// pre-create their label values.
func Reasons() []Reason {
	rs := make([]Reason, 0, numReasons-1)
	for r := ReasonAllowed; r < numReasons; r++ {
		rs = append(rs, r)
	}
	return rs
}

// grantRank orders the per-grant reasons by how far the grant got through the
// checks: the denial reports the furthest.
func grantRank(r Reason) int {
	switch r {
	case ReasonNoGrant:
		return 0
	case ReasonNotYetValid, ReasonExpired:
		return 1
	case ReasonDataStale:
		return 2
	case ReasonHoliday:
		return 3
	case ReasonOutsideSchedule:
		return 4
	case ReasonAllowed:
		return 5
	}
	return -1
}
