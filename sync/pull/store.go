package pull

import (
	"context"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// Store is what pull needs from the hub's grant cache (internal/store
// satisfies the reads; the hub adapts Apply, see the package example).
type Store interface {
	// Accesses returns every access (hub key).
	Accesses() []policy.Access
	// Locks returns every lock (for check-in doors).
	Locks() []policy.Lock
	// MemberIDs returns every member id.
	MemberIDs() []string
	// Member returns a member and its credentials.
	Member(id string) (policy.Member, []policy.Credential, bool)
	// Grants returns a member's grants.
	Grants(member string) []policy.Grant
	// LastSync returns when the domain's last successful REST pass
	// finished (zero if never).
	LastSync(domain string) time.Time
	// Cursor returns a stored sync cursor.
	Cursor(name string) (string, bool)
	// Apply writes the change atomically: all of it or nothing.
	Apply(ctx context.Context, c *Change) error
}

// Change is one atomic write to the store. Deletes are applied before Puts,
// so a key both deleted and put ends up put.
type Change struct {
	Members  []MemberPut
	Deletes  []policy.GrantKey
	Puts     []policy.Grant
	Cursors  map[string]string    // "" deletes
	LastSync map[string]time.Time // domain → last successful REST pass
}

// MemberPut adds or replaces a member and its credentials (grants are not
// touched).
type MemberPut struct {
	Member      policy.Member
	Credentials []policy.Credential
}

// Empty reports whether the change writes nothing.
func (c *Change) Empty() bool {
	return len(c.Members) == 0 && len(c.Deletes) == 0 && len(c.Puts) == 0 &&
		len(c.Cursors) == 0 && len(c.LastSync) == 0
}

func (c *Change) setCursor(name, v string) {
	if c.Cursors == nil {
		c.Cursors = map[string]string{}
	}
	c.Cursors[name] = v
}

// Unlock is one record of the hub's event log as the check-in queue sees it.
type Unlock struct {
	Seq     uint64
	Time    time.Time
	Lock    string
	Member  string
	Allowed bool // an allowed unlock decision; false for every other event
}

// UnlockSource reads the hub's event log in sequence order, independently of
// the upload outbox (internal/events Log.Scan).
type UnlockSource interface {
	// UnlocksAfter returns up to max records with Seq > after, in order.
	UnlocksAfter(after uint64, max int) ([]Unlock, error)
}

// CheckinPoster posts a Nexudus check-in (nexudus.Client satisfies it).
type CheckinPoster interface {
	PostCheckin(ctx context.Context, businessID, coworkerID int64, at time.Time) (int64, error)
}
