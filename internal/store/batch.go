package store

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// Batch collects changes that Apply writes atomically: all of them land, or
// none. Later operations on the same record override earlier ones. A Batch
// is not safe for concurrent use; build it in one goroutine, then Apply it
// once. The first invalid operation is remembered and returned by Apply.
type Batch struct {
	err error

	domains    map[string]*policy.Domain // nil value: delete
	locks      map[string]*policy.Lock
	accesses   map[string]*policy.Access
	members    map[string]*memberPut
	grants     map[policy.GrantKey]*policy.Grant
	memberPuts map[string][]policy.GrantKey // grants put per member, for DeleteMember
	cascade    map[string]struct{}          // members deleted: their stored grants go too
	replace    map[policy.Origin]struct{}
	lockStates map[string]*policy.LockState
	cursors    map[string]*string
	lastSync   map[string]*time.Time
	revokes    map[RevocationKey]*Revocation // nil value: delete; nil map until used
	ops        int
}

type memberPut struct {
	m     policy.Member
	creds []policy.Credential
}

// NewBatch returns an empty batch.
func NewBatch() *Batch {
	return &Batch{
		domains:    map[string]*policy.Domain{},
		locks:      map[string]*policy.Lock{},
		accesses:   map[string]*policy.Access{},
		members:    map[string]*memberPut{},
		grants:     map[policy.GrantKey]*policy.Grant{},
		memberPuts: map[string][]policy.GrantKey{},
		cascade:    map[string]struct{}{},
		replace:    map[policy.Origin]struct{}{},
		lockStates: map[string]*policy.LockState{},
		cursors:    map[string]*string{},
		lastSync:   map[string]*time.Time{},
	}
}

// Len returns the number of operations added so far.
func (b *Batch) Len() int { return b.ops }

func (b *Batch) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

var errEmptyID = errors.New("empty id")

func checkID(what, id string) error {
	if id == "" {
		return fmt.Errorf("%s: %w", what, errEmptyID)
	}
	return checkString(what, id)
}

func checkString(what, s string) error {
	if len(s) > maxStringLen {
		return fmt.Errorf("%s: %w (%d bytes, at most %d)", what, errTooLong, len(s), maxStringLen)
	}
	return nil
}

func checkOrigin(what string, o policy.Origin) error {
	if o == policy.OriginUnknown || byte(o) > maxOrigin {
		return fmt.Errorf("%s: invalid origin %v", what, o)
	}
	return nil
}

// PutDomain adds or replaces a domain. Its Zone must be a named IANA zone
// (or UTC) that time.LoadLocation can load again.
func (b *Batch) PutDomain(d policy.Domain) {
	b.ops++
	err := errors.Join(checkID("domain id", d.ID), checkString("domain name", d.Name),
		checkString("domain nexudus business", d.NexudusBusiness), checkOrigin("domain "+d.ID, d.Origin))
	if err == nil {
		if d.Zone == nil {
			err = fmt.Errorf("domain %s: no time zone", d.ID)
		} else if _, lerr := time.LoadLocation(d.Zone.String()); lerr != nil {
			err = fmt.Errorf("domain %s: zone %q cannot be loaded again: %w", d.ID, d.Zone.String(), lerr)
		}
	}
	if err != nil {
		b.fail(fmt.Errorf("put domain: %w", err))
		return
	}
	b.domains[d.ID] = &d
}

// DeleteDomain removes a domain. Its members, locks and accesses stay.
func (b *Batch) DeleteDomain(id string) {
	b.ops++
	b.domains[id] = nil
}

// PutLock adds or replaces a lock.
func (b *Batch) PutLock(l policy.Lock) {
	b.ops++
	if err := errors.Join(checkID("lock id", l.ID), checkString("lock domain", l.Domain),
		checkString("lock name", l.Name), checkOrigin("lock "+l.ID, l.Origin)); err != nil {
		b.fail(fmt.Errorf("put lock: %w", err))
		return
	}
	if l.FailMode > policy.FailSafe {
		b.fail(fmt.Errorf("put lock %s: invalid fail mode %d", l.ID, l.FailMode))
		return
	}
	b.locks[l.ID] = &l
}

// DeleteLock removes a lock and its runtime state.
func (b *Batch) DeleteLock(id string) {
	b.ops++
	b.locks[id] = nil
	b.lockStates[id] = nil
}

// PutAccess adds or replaces an access. Its windows must be valid
// (policy.Window.Validate).
func (b *Batch) PutAccess(a policy.Access) {
	b.ops++
	err := errors.Join(checkID("access id", a.ID), checkString("access domain", a.Domain),
		checkString("access name", a.Name), checkOrigin("access "+a.ID, a.Origin))
	for _, l := range a.Locks {
		err = errors.Join(err, checkString("access lock", l))
	}
	for i, w := range a.Schedule.Windows {
		if werr := w.Validate(); werr != nil {
			err = errors.Join(err, fmt.Errorf("access %s window %d: %w", a.ID, i, werr))
		}
	}
	if err != nil {
		b.fail(fmt.Errorf("put access: %w", err))
		return
	}
	c := policy.Access{ID: a.ID, Domain: a.Domain, Name: a.Name, Origin: a.Origin,
		Locks: slices.Clone(a.Locks), Schedule: policy.Schedule{
			Windows: slices.Clone(a.Schedule.Windows), Holidays: slices.Clone(a.Schedule.Holidays)}}
	slices.Sort(c.Schedule.Holidays)
	b.accesses[a.ID] = &c
}

// DeleteAccess removes an access. Grants naming it stay but match nothing.
func (b *Batch) DeleteAccess(id string) {
	b.ops++
	b.accesses[id] = nil
}

// PutMember adds or replaces a member and replaces its credentials with
// creds (duplicates are dropped). Its grants are not touched.
func (b *Batch) PutMember(m policy.Member, creds []policy.Credential) {
	b.ops++
	err := errors.Join(checkID("member id", m.ID), checkString("member domain", m.Domain),
		checkString("member name", m.Name), checkString("member email", m.Email), checkOrigin("member "+m.ID, m.Origin))
	if byte(m.Status) > maxStatus {
		err = errors.Join(err, fmt.Errorf("member %s: invalid status %d", m.ID, m.Status))
	}
	var cs []policy.Credential
	for _, c := range creds {
		if c.Type == policy.CredUnknown || byte(c.Type) > maxCredType {
			err = errors.Join(err, fmt.Errorf("member %s: invalid credential type %d", m.ID, c.Type))
			continue
		}
		if !slices.Contains(cs, c) {
			cs = append(cs, c)
		}
	}
	if err != nil {
		b.fail(fmt.Errorf("put member: %w", err))
		return
	}
	b.members[m.ID] = &memberPut{m: m, creds: cs}
}

// DeleteMember removes a member with its credentials and every grant it has
// at this point of the batch (stored or put earlier in the batch); grants put
// for it later in the batch stay.
func (b *Batch) DeleteMember(id string) {
	b.ops++
	b.members[id] = nil
	b.cascade[id] = struct{}{}
	for _, k := range b.memberPuts[id] {
		if g := b.grants[k]; g != nil && g.Member == id {
			b.grants[k] = nil
		}
	}
	delete(b.memberPuts, id)
}

// PutGrant adds or replaces the grant with g's key. A grant may be put for a
// member that is not (yet) known; it then matches nothing.
func (b *Batch) PutGrant(g policy.Grant) {
	b.ops++
	err := errors.Join(checkOrigin("grant "+g.Reference, g.Origin), checkString("grant reference", g.Reference),
		checkID("grant member", g.Member), checkID("grant access", g.Access))
	if g.Kind == policy.KindUnknown || byte(g.Kind) > maxKind {
		err = errors.Join(err, fmt.Errorf("grant %s: invalid kind %d", g.Reference, g.Kind))
	}
	if err != nil {
		b.fail(fmt.Errorf("put grant: %w", err))
		return
	}
	if !g.From.IsZero() {
		g.From = g.From.UTC()
	}
	if !g.Until.IsZero() {
		g.Until = g.Until.UTC()
	}
	b.grants[g.GrantKey] = &g
	b.memberPuts[g.Member] = append(b.memberPuts[g.Member], g.GrantKey)
}

// DeleteGrant removes the grant with key k.
func (b *Batch) DeleteGrant(k policy.GrantKey) {
	b.ops++
	b.grants[k] = nil
}

// ReplaceOrigin makes the batch the whole truth for origin o: when applied,
// every stored domain, lock, access, member and grant of origin o that this
// batch does not put is deleted (a member with its credentials and all its
// grants). Use it for config reloads and full syncs.
func (b *Batch) ReplaceOrigin(o policy.Origin) {
	b.ops++
	if err := checkOrigin("replace origin", o); err != nil {
		b.fail(err)
		return
	}
	b.replace[o] = struct{}{}
}

// SetCursor stores a sync cursor; an empty value deletes it.
func (b *Batch) SetCursor(name, value string) {
	b.ops++
	if err := errors.Join(checkID("cursor name", name), checkString("cursor value", value)); err != nil {
		b.fail(fmt.Errorf("set cursor: %w", err))
		return
	}
	if value == "" {
		b.cursors[name] = nil
		return
	}
	b.cursors[name] = &value
}

// SetLastSync records when the domain's last successful Nexudus REST pass
// finished; a zero time deletes the record.
func (b *Batch) SetLastSync(domain string, t time.Time) {
	b.ops++
	if err := checkID("last sync domain", domain); err != nil {
		b.fail(fmt.Errorf("set last sync: %w", err))
		return
	}
	if t.IsZero() {
		b.lastSync[domain] = nil
		return
	}
	t = t.UTC()
	b.lastSync[domain] = &t
}

// SetLockState stores a lock's runtime state; the zero state deletes it.
func (b *Batch) SetLockState(lock string, st policy.LockState) {
	b.ops++
	if err := checkID("lock state lock", lock); err != nil {
		b.fail(fmt.Errorf("set lock state: %w", err))
		return
	}
	if st == (policy.LockState{}) {
		b.lockStates[lock] = nil
		return
	}
	if !st.KeypadLockedUntil.IsZero() {
		st.KeypadLockedUntil = st.KeypadLockedUntil.UTC()
	}
	b.lockStates[lock] = &st
}
