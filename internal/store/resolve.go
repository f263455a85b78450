package store

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/lockhub/lockhub/policy"
)

// kv is one low-level Badger operation: a put, or a delete when del is set.
type kv struct {
	key   []byte
	value []byte
	del   bool
}

func putKV(key string, value []byte) kv { return kv{key: []byte(key), value: value} }
func delKV(key string) kv               { return kv{key: []byte(key), del: true} }

// arena holds the encoded keys and values of one batch in a few large
// buffers instead of a million small ones.
type arena struct{ buf []byte }

const arenaChunk = 1 << 20

// reserve makes room for about n more bytes.
func (a *arena) reserve(n int) {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, max(arenaChunk, n))
	}
}

// since returns the bytes appended since len(a.buf) was start.
func (a *arena) since(start int) []byte { return a.buf[start:len(a.buf):len(a.buf)] }

func compareGrantKeys(a, b policy.GrantKey) int {
	if c := cmp.Compare(a.Origin, b.Origin); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	return cmp.Compare(a.Reference, b.Reference)
}

// resolve turns a batch into the Badger operations and the in-memory delta
// that take cur to the state after the batch. It reads cur and b only.
//
// lookup returns the stored owners (member ids) of grant keys whose owner
// the view cannot tell cheaply; keys not stored are left out.
func (cur *state) resolve(b *Batch, lookup func([]policy.GrantKey) (map[policy.GrantKey]string, error)) (*delta, []kv, error) {
	d := &delta{
		domains:    make(map[string]*policy.Domain, len(b.domains)),
		locks:      make(map[string]*policy.Lock, len(b.locks)),
		accesses:   make(map[string]*policy.Access, len(b.accesses)),
		members:    map[string]*memberEntry{},
		holders:    map[credKey][]string{},
		lockStates: b.lockStates,
		cursors:    b.cursors,
		lastSync:   b.lastSync,
	}
	var kvs []kv

	// Domains, locks, accesses: the batch's puts and deletes, then whatever
	// ReplaceOrigin removes.
	replacing := len(b.replace) > 0
	if replacing {
		d.lockStates = maps.Clone(b.lockStates) // ReplaceOrigin adds deletions
	}
	for id, v := range b.domains {
		d.domains[id] = v
	}
	for id, v := range b.locks {
		d.locks[id] = v
	}
	for id, v := range b.accesses {
		if v != nil {
			v.Index()
		}
		d.accesses[id] = v
	}
	replaced := func(o policy.Origin) bool { _, ok := b.replace[o]; return ok }
	if replacing {
		for id, v := range cur.domains {
			if _, ok := b.domains[id]; !ok && replaced(v.Origin) {
				d.domains[id] = nil
			}
		}
		for id, v := range cur.locks {
			if _, ok := b.locks[id]; !ok && replaced(v.Origin) {
				d.locks[id] = nil
				if _, ok := b.lockStates[id]; !ok {
					d.lockStates[id] = nil
				}
			}
		}
		for id, v := range cur.accesses {
			if _, ok := b.accesses[id]; !ok && replaced(v.Origin) {
				d.accesses[id] = nil
			}
		}
	}

	// Members: the batch's, plus those ReplaceOrigin removes (with all their
	// grants, even ones this batch puts).
	memberDel := map[string]bool{} // member id to "drop grants put in this batch too"
	for id := range b.cascade {
		memberDel[id] = false
	}
	var replacedMembers []string
	if replacing {
		for id, e := range cur.members {
			if e.m == nil {
				continue
			}
			if _, ok := b.members[id]; !ok && replaced(e.m.Origin) {
				replacedMembers = append(replacedMembers, id)
				memberDel[id] = true
			}
		}
	}

	// Grant decisions: key to new grant (nil: delete). Start from the batch
	// and add cascades and ReplaceOrigin deletions.
	grantDel := map[policy.GrantKey]string{} // to the stored owner, "" if unknown
	decided := func(k policy.GrantKey) bool {
		if _, ok := b.grants[k]; ok {
			return true
		}
		_, ok := grantDel[k]
		return ok
	}
	for id, all := range memberDel {
		if e := cur.members[id]; e != nil {
			for i := range e.grants {
				if k := e.grants[i].GrantKey; !decided(k) {
					grantDel[k] = id
				}
			}
		}
		if all {
			for _, k := range b.memberPuts[id] {
				if g := b.grants[k]; g != nil && g.Member == id {
					grantDel[k] = ""
				}
			}
		}
	}
	if replacing {
		for id, e := range cur.members {
			for i := range e.grants {
				if k := e.grants[i].GrantKey; replaced(k.Origin) && !decided(k) {
					grantDel[k] = id
				}
			}
		}
	}

	// Per member: grants removed (their keys) and added.
	type change struct{ added []policy.Grant }
	changes := make(map[string]*change, len(b.members)+len(b.memberPuts)+len(memberDel))
	touch := func(id string) *change {
		c := changes[id]
		if c == nil {
			c = &change{}
			changes[id] = c
		}
		return c
	}
	finalGrant := func(k policy.GrantKey) (*policy.Grant, bool) {
		if _, del := grantDel[k]; del {
			return nil, true
		}
		g, ok := b.grants[k]
		return g, ok
	}
	eachDecision := func(f func(k policy.GrantKey)) {
		for k := range b.grants {
			f(k)
		}
		for k := range grantDel {
			if _, ok := b.grants[k]; !ok {
				f(k)
			}
		}
	}
	// The stored owner of every decided key: known for deletions found in
	// the view, and for a put whose member already holds the key (the common
	// re-put of a sync); the rest is looked up on disk.
	owners := make(map[policy.GrantKey]string, len(b.grants)+len(grantDel))
	var unknown []policy.GrantKey
	eachDecision(func(k policy.GrantKey) {
		if o := grantDel[k]; o != "" {
			owners[k] = o
			return
		}
		if g := b.grants[k]; g != nil && cur.hasGrant(g.Member, k) {
			owners[k] = g.Member
			return
		}
		unknown = append(unknown, k)
	})
	if len(unknown) > 0 {
		found, err := lookup(unknown)
		if err != nil {
			return nil, nil, fmt.Errorf("look up stored grants: %w", err)
		}
		for k, o := range found {
			owners[k] = o
		}
	}

	var encErr error
	var ar arena
	kvs = make([]kv, 0, len(b.grants)+len(grantDel)+len(b.members)+len(replacedMembers)+
		len(d.domains)+len(d.locks)+len(d.accesses)+len(d.lockStates)+len(d.cursors)+len(d.lastSync))
	eachDecision(func(k policy.GrantKey) {
		g, _ := finalGrant(k)
		old, hadOld := owners[k]
		if hadOld {
			touch(old)
		}
		ar.reserve(len(k.Reference) + 64)
		start := len(ar.buf)
		ar.buf = appendGrantKey(ar.buf, k)
		key := ar.since(start)
		if g == nil {
			if hadOld {
				d.dGrants--
			}
			kvs = append(kvs, kv{key: key, del: true})
			return
		}
		c := touch(g.Member)
		c.added = append(c.added, *g)
		if !hadOld {
			d.dGrants++
		}
		ar.reserve(len(g.Member) + len(g.Access) + 64)
		start = len(ar.buf)
		ar.buf = encodeGrant(ar.buf, g)
		v := ar.since(start)
		if len(v) > maxRecordSize && encErr == nil {
			encErr = fmt.Errorf("grant %s: %w", k, errTooLarge)
		}
		kvs = append(kvs, kv{key: key, value: v})
	})
	if encErr != nil {
		return nil, nil, encErr
	}

	// Member records.
	type memberFinal struct {
		m     *policy.Member
		creds []policy.Credential
	}
	finals := make(map[string]memberFinal, len(b.members)+len(replacedMembers))
	for id, p := range b.members {
		touch(id)
		if p == nil {
			finals[id] = memberFinal{}
			kvs = append(kvs, delKV(pfxMember+id))
			continue
		}
		m := p.m
		finals[id] = memberFinal{m: &m, creds: p.creds}
		ar.reserve(len(m.ID) + len(m.Domain) + len(m.Name) + len(m.Email) + 33*len(p.creds) + 64)
		start := len(ar.buf)
		ar.buf = encodeMember(ar.buf, &m, p.creds)
		v := ar.since(start)
		if len(v) > maxRecordSize {
			return nil, nil, fmt.Errorf("member %s: %w", id, errTooLarge)
		}
		kvs = append(kvs, putKV(pfxMember+id, v))
	}
	for _, id := range replacedMembers {
		touch(id)
		finals[id] = memberFinal{}
		kvs = append(kvs, delKV(pfxMember+id))
	}

	// New member entries and the credential index.
	type holderChange struct{ add, remove []string }
	hc := map[credKey]*holderChange{}
	hcFor := func(k credKey) *holderChange {
		c := hc[k]
		if c == nil {
			c = &holderChange{}
			hc[k] = c
		}
		return c
	}
	for id, c := range changes {
		old := cur.members[id]
		ne := &memberEntry{}
		if old != nil {
			ne.setMember(old.m)
			ne.creds = old.creds
		}
		if f, ok := finals[id]; ok {
			if old != nil && old.m != nil {
				for _, cr := range old.creds {
					c := hcFor(credKey{old.m.Domain, cr})
					c.remove = append(c.remove, id)
				}
				d.dCreds -= len(old.creds)
			}
			ne.setMember(f.m)
			ne.creds = f.creds
			if f.m != nil {
				for _, cr := range f.creds {
					c := hcFor(credKey{f.m.Domain, cr})
					c.add = append(c.add, id)
				}
				d.dCreds += len(f.creds)
			}
		}
		if old != nil {
			for i := range old.grants {
				if _, dec := finalGrant(old.grants[i].GrantKey); !dec {
					if ne.grants == nil {
						ne.grants = make([]policy.Grant, 0, len(old.grants)+len(c.added))
					}
					ne.grants = append(ne.grants, old.grants[i])
				}
			}
		}
		if len(c.added) > 0 {
			if ne.grants == nil {
				ne.grants = make([]policy.Grant, 0, len(c.added))
			}
			ne.grants = append(ne.grants, c.added...)
			slices.SortFunc(ne.grants, func(a, b policy.Grant) int { return compareGrantKeys(a.GrantKey, b.GrantKey) })
		}
		if ne.m == nil && len(ne.grants) == 0 {
			if old != nil {
				d.members[id] = nil
			}
			continue
		}
		d.members[id] = ne
	}
	for k, c := range hc {
		var h []string
		for _, id := range cur.holders[k] {
			if !slices.Contains(c.remove, id) {
				h = append(h, id)
			}
		}
		for _, id := range c.add {
			if !slices.Contains(h, id) {
				h = append(h, id)
			}
		}
		slices.Sort(h)
		d.holders[k] = h
	}

	// Records of the other kinds.
	for id, v := range d.domains {
		if v == nil {
			kvs = append(kvs, delKV(pfxDomain+id))
		} else {
			kvs = append(kvs, putKV(pfxDomain+id, encodeDomain(nil, v)))
		}
	}
	for id, v := range d.locks {
		if v == nil {
			kvs = append(kvs, delKV(pfxLock+id))
		} else {
			kvs = append(kvs, putKV(pfxLock+id, encodeLock(nil, v)))
		}
	}
	for id, v := range d.accesses {
		if v == nil {
			kvs = append(kvs, delKV(pfxAccess+id))
			continue
		}
		enc := encodeAccess(nil, v)
		if len(enc) > maxRecordSize {
			return nil, nil, fmt.Errorf("access %s: %w", id, errTooLarge)
		}
		kvs = append(kvs, putKV(pfxAccess+id, enc))
	}
	for id, v := range d.lockStates {
		if v == nil {
			kvs = append(kvs, delKV(pfxLockState+id))
		} else {
			kvs = append(kvs, putKV(pfxLockState+id, encodeLockState(nil, v)))
		}
	}
	for name, v := range d.cursors {
		if v == nil {
			kvs = append(kvs, delKV(pfxCursor+name))
		} else {
			kvs = append(kvs, putKV(pfxCursor+name, encodeString(nil, *v)))
		}
	}
	for dom, v := range d.lastSync {
		if v == nil {
			kvs = append(kvs, delKV(pfxLastSync+dom))
		} else {
			kvs = append(kvs, putKV(pfxLastSync+dom, encodeTime(nil, *v)))
		}
	}
	return d, kvs, nil
}

// hasGrant reports whether the member holds the grant key in the view.
func (cur *state) hasGrant(member string, k policy.GrantKey) bool {
	e := cur.members[member]
	if e == nil {
		return false
	}
	_, found := slices.BinarySearchFunc(e.grants, k, func(g policy.Grant, k policy.GrantKey) int {
		return compareGrantKeys(g.GrantKey, k)
	})
	return found
}
