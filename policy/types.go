package policy

import (
	"fmt"
	"time"
)

// Origin says where a record came from.
type Origin uint8

// Origins. The zero value is invalid so that a forgotten origin is caught.
const (
	OriginUnknown     Origin = iota
	OriginConfig             // the site configuration file
	OriginNexudusREST        // a Nexudus REST pull
	OriginWebhook            // a Nexudus Custom ACS webhook
	OriginAdmin              // an admin action on the hub
)

var originNames = [...]string{"unknown", "config", "nexudus-rest", "webhook", "admin"}

func (o Origin) String() string {
	if int(o) < len(originNames) {
		return originNames[o]
	}
	return fmt.Sprintf("origin(%d)", uint8(o))
}

// ParseOrigin is the inverse of Origin.String.
func ParseOrigin(s string) (Origin, error) {
	for i, n := range originNames {
		if i > 0 && n == s {
			return Origin(i), nil
		}
	}
	return OriginUnknown, fmt.Errorf("unknown origin %q", s)
}

// FromNexudus reports whether records of this origin come from Nexudus.
func (o Origin) FromNexudus() bool { return o == OriginNexudusREST || o == OriginWebhook }

// GrantKind says why a grant exists.
type GrantKind uint8

// Grant kinds. The zero value is invalid.
const (
	KindUnknown  GrantKind = iota
	KindBooking            // a resource booking
	KindPass               // a (day or time) pass
	KindContract           // a desk or office contract
	KindGroup              // an access group set by a webhook
	KindManual             // set by hand (config or admin)
)

var kindNames = [...]string{"unknown", "booking", "pass", "contract", "group", "manual"}

func (k GrantKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseGrantKind is the inverse of GrantKind.String.
func ParseGrantKind(s string) (GrantKind, error) {
	for i, n := range kindNames {
		if i > 0 && n == s {
			return GrantKind(i), nil
		}
	}
	return KindUnknown, fmt.Errorf("unknown grant kind %q", s)
}

// MemberStatus is a member's standing. Only StatusActive may open doors.
type MemberStatus uint8

// Member statuses. The zero value is not active: deny by default.
const (
	StatusUnknown   MemberStatus = iota
	StatusActive                 // may open doors, subject to grants
	StatusInactive               // not (or no longer) a paying member
	StatusSuspended              // blocked by an admin, locally or in Nexudus
	StatusArchived               // archived in Nexudus
)

var statusNames = [...]string{"unknown", "active", "inactive", "suspended", "archived"}

func (s MemberStatus) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// ParseMemberStatus is the inverse of MemberStatus.String.
func ParseMemberStatus(s string) (MemberStatus, error) {
	for i, n := range statusNames {
		if i > 0 && n == s {
			return MemberStatus(i), nil
		}
	}
	return StatusUnknown, fmt.Errorf("unknown member status %q", s)
}

// FailMode is what a lock does when it cannot reach the hub.
type FailMode uint8

// Fail modes. The zero value is fail-secure: stay locked.
const (
	FailSecure FailMode = iota // stay locked without the hub
	FailSafe                   // unlock without the hub (life-safety doors)
)

func (f FailMode) String() string {
	if f == FailSafe {
		return "safe"
	}
	return "secure"
}

// Domain is a site area (office, garage, building) with its own time zone and
// event-log retention.
type Domain struct {
	ID   string
	Name string
	// Zone is the domain's IANA zone; schedules are evaluated in it. Never nil
	// in a valid domain.
	Zone *time.Location
	// Retention is how long personal data of event logs is kept. Zero means
	// DefaultRetention.
	Retention time.Duration
	// NexudusBusiness is the uniqueId of the Nexudus business (location) this
	// domain follows; empty when the domain is not synced from Nexudus.
	NexudusBusiness string
	Origin          Origin
}

// DefaultRetention is the event-log retention of a domain that sets none.
const DefaultRetention = 30 * 24 * time.Hour

// Member is a person in a domain.
type Member struct {
	ID     string
	Domain string
	Name   string
	Email  string
	Status MemberStatus
	Origin Origin
}

// Lock is one physical lock or reader with its per-door policy.
type Lock struct {
	ID     string
	Domain string
	Name   string
	// OfflineHorizon is how long after the last successful Nexudus pass the
	// lock still trusts open-ended grants from Nexudus. Zero means
	// DefaultOfflineHorizon.
	OfflineHorizon time.Duration
	// CheckIn marks a door whose granted unlocks post a Nexudus check-in.
	CheckIn bool
	// UnlockDuration is how long the lock stays open after a grant. Zero means
	// DefaultUnlockDuration.
	UnlockDuration time.Duration
	FailMode       FailMode
	// KeyGeneration is mixed into the lock's derived secrets; raising it
	// re-issues them.
	KeyGeneration uint32
	Origin        Origin
}

// Defaults for zero Lock fields.
const (
	DefaultOfflineHorizon = 7 * 24 * time.Hour
	DefaultUnlockDuration = 5 * time.Second
)

// Horizon returns the lock's offline horizon with the default applied.
func (l *Lock) Horizon() time.Duration {
	if l.OfflineHorizon <= 0 {
		return DefaultOfflineHorizon
	}
	return l.OfflineHorizon
}

// Unlock returns the lock's unlock duration with the default applied.
func (l *Lock) Unlock() time.Duration {
	if l.UnlockDuration <= 0 {
		return DefaultUnlockDuration
	}
	return l.UnlockDuration
}

// LockState is the runtime state of a lock set by admin actions; it is not
// part of the lock's configuration.
type LockState struct {
	Lockdown bool
	// Released is an emergency release: it overrides lockdown.
	Released bool
	// KeypadLockedUntil is when a keypad lockout for repeated wrong PINs ends;
	// zero when the keypad is not locked out.
	KeypadLockedUntil time.Time
}

// Access is what Nexudus calls an access group and Parakey a key: a named set
// of locks with time restrictions.
type Access struct {
	ID       string
	Domain   string
	Name     string
	Locks    []string
	Schedule Schedule
	Origin   Origin

	lockSet map[string]struct{} // built by Index; nil until then
}

// Index builds the access's lock set so that Has is O(1). Call it once
// before the access is shared with readers; it is not safe to call
// concurrently with Has.
func (a *Access) Index() {
	a.lockSet = make(map[string]struct{}, len(a.Locks))
	for _, l := range a.Locks {
		a.lockSet[l] = struct{}{}
	}
}

// Has reports whether the access contains the lock.
func (a *Access) Has(lock string) bool {
	if a.lockSet != nil {
		_, ok := a.lockSet[lock]
		return ok
	}
	for _, l := range a.Locks {
		if l == lock {
			return true
		}
	}
	return false
}

// GrantKey identifies a grant: (origin, kind, reference).
type GrantKey struct {
	Origin    Origin
	Kind      GrantKind
	Reference string
}

func (k GrantKey) String() string {
	return k.Origin.String() + "/" + k.Kind.String() + "/" + k.Reference
}

// Grant gives a member an access for a validity window [From, Until). A zero
// From means "since ever", a zero Until means open-ended.
type Grant struct {
	GrantKey
	Member string
	Access string
	From   time.Time
	Until  time.Time
}

// OpenEnded reports whether the grant has no known end.
func (g *Grant) OpenEnded() bool { return g.Until.IsZero() }

// Valid reports whether t is inside [From, Until).
func (g *Grant) Valid(t time.Time) bool {
	return (g.From.IsZero() || !t.Before(g.From)) && (g.Until.IsZero() || t.Before(g.Until))
}
