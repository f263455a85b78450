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

// ownerLookup returns the stored owners (member ids) of grant keys; keys not
// stored are left out.
type ownerLookup func([]policy.GrantKey) (map[policy.GrantKey]string, error)

// resolver turns a batch into the Badger operations and the in-memory delta
// that take cur to the state after the batch. It reads cur and b only.
type resolver struct {
	cur    *state
	b      *Batch
	lookup ownerLookup

	d   *delta
	kvs []kv
	ar  arena

	memberDel       map[string]bool // deleted members; true: drop grants put in this batch too
	replacedMembers []string
	grantDel        map[policy.GrantKey]string // extra grant deletions, to the stored owner ("" unknown)
	added           map[string][]policy.Grant  // per touched member: grants put for it
	finals          map[string]*policy.Member  // members put (non-nil) or deleted (nil)
}

func (cur *state) resolve(b *Batch, lookup ownerLookup) (*delta, []kv, error) {
	r := &resolver{cur: cur, b: b, lookup: lookup,
		memberDel: map[string]bool{}, grantDel: map[policy.GrantKey]string{}}
	r.d = &delta{
		domains:    make(map[string]*policy.Domain, len(b.domains)),
		locks:      make(map[string]*policy.Lock, len(b.locks)),
		accesses:   make(map[string]*policy.Access, len(b.accesses)),
		members:    map[string]*memberEntry{},
		holders:    map[credKey][]string{},
		lockStates: b.lockStates,
		cursors:    b.cursors,
		lastSync:   b.lastSync,
		revs:       map[RevocationKey]*Revocation{},
		suspended:  map[string]*policy.Member{},
	}
	r.records()
	r.deletions()
	r.kvs = make([]kv, 0, len(b.grants)+len(r.grantDel)+len(b.members)+len(r.replacedMembers)+
		len(r.d.domains)+len(r.d.locks)+len(r.d.accesses)+len(r.d.lockStates)+len(r.d.cursors)+len(r.d.lastSync))
	if err := r.grants(); err != nil {
		return nil, nil, err
	}
	if err := r.members(); err != nil {
		return nil, nil, err
	}
	if err := r.entries(); err != nil {
		return nil, nil, err
	}
	r.revocations()
	if err := r.otherKVs(); err != nil {
		return nil, nil, err
	}
	return r.d, r.kvs, nil
}

func (r *resolver) replaced(o policy.Origin) bool { _, ok := r.b.replace[o]; return ok }

// records takes the batch's domains, locks and accesses, and adds what
// ReplaceOrigin removes.
func (r *resolver) records() {
	b, d := r.b, r.d
	for id, v := range b.domains {
		d.domains[id] = v
	}
	for id, v := range b.locks {
		d.locks[id] = v
	}
	for id, v := range b.accesses {
		if v != nil {
			c := *v // the view's own copy, indexed; the batch is never shared with readers
			c.Index()
			v = &c
		}
		d.accesses[id] = v
	}
	if len(b.replace) == 0 {
		return
	}
	d.lockStates = maps.Clone(b.lockStates) // not the batch's map: deletions are added
	for id, v := range r.cur.domains {
		if _, ok := b.domains[id]; !ok && r.replaced(v.Origin) {
			d.domains[id] = nil
		}
	}
	for id, v := range r.cur.locks {
		if _, ok := b.locks[id]; !ok && r.replaced(v.Origin) {
			d.locks[id] = nil
			if _, ok := b.lockStates[id]; !ok {
				d.lockStates[id] = nil
			}
		}
	}
	for id, v := range r.cur.accesses {
		if _, ok := b.accesses[id]; !ok && r.replaced(v.Origin) {
			d.accesses[id] = nil
		}
	}
}

// decided reports whether the batch or an earlier deletion decides key k.
func (r *resolver) decided(k policy.GrantKey) bool {
	if _, ok := r.b.grants[k]; ok {
		return true
	}
	_, ok := r.grantDel[k]
	return ok
}

// deletions finds the members to delete (DeleteMember, ReplaceOrigin) and
// the grants that go with them or with ReplaceOrigin.
func (r *resolver) deletions() {
	b, cur := r.b, r.cur
	for id := range b.cascade {
		r.memberDel[id] = false
	}
	if len(b.replace) > 0 {
		for id, e := range cur.members {
			if e.m == nil {
				continue
			}
			if _, ok := b.members[id]; !ok && r.replaced(e.m.Origin) {
				r.replacedMembers = append(r.replacedMembers, id)
				r.memberDel[id] = true
			}
		}
	}
	for id, all := range r.memberDel {
		if e := cur.members[id]; e != nil {
			for i := range e.grants.Len() {
				if k := e.grants.Key(i); !r.decided(k) {
					r.grantDel[k] = id
				}
			}
		}
		if all {
			for _, k := range b.memberPuts[id] {
				if g := b.grants[k]; g != nil && g.Member == id {
					r.grantDel[k] = ""
				}
			}
		}
	}
	if len(b.replace) > 0 {
		for id, e := range cur.members {
			for i := range e.grants.Len() {
				if k := e.grants.Key(i); r.replaced(k.Origin) && !r.decided(k) {
					r.grantDel[k] = id
				}
			}
		}
	}
}

// finalGrant returns the grant key k has after the batch (nil: deleted) and
// whether the batch decides k at all.
func (r *resolver) finalGrant(k policy.GrantKey) (*policy.Grant, bool) {
	if _, del := r.grantDel[k]; del {
		return nil, true
	}
	g, ok := r.b.grants[k]
	return g, ok
}

// eachDecision calls f once for every grant key the batch decides.
func (r *resolver) eachDecision(f func(k policy.GrantKey)) {
	for k := range r.b.grants {
		f(k)
	}
	for k := range r.grantDel {
		if _, ok := r.b.grants[k]; !ok {
			f(k)
		}
	}
}

// owners returns the stored owner of every decided key: known for deletions
// found in the view and for a put whose member already holds the key (the
// common re-put of a sync); the rest is looked up on disk.
func (r *resolver) owners() (map[policy.GrantKey]string, error) {
	owners := make(map[policy.GrantKey]string, len(r.b.grants)+len(r.grantDel))
	var unknown []policy.GrantKey
	r.eachDecision(func(k policy.GrantKey) {
		if o := r.grantDel[k]; o != "" {
			owners[k] = o
			return
		}
		if g := r.b.grants[k]; g != nil && r.cur.hasGrant(g.Member, k) {
			owners[k] = g.Member
			return
		}
		unknown = append(unknown, k)
	})
	if len(unknown) > 0 {
		found, err := r.lookup(unknown)
		if err != nil {
			return nil, fmt.Errorf("look up stored grants: %w", err)
		}
		for k, o := range found {
			owners[k] = o
		}
	}
	return owners, nil
}

// touch marks a member whose entry must be rebuilt.
func (r *resolver) touch(id string) {
	if _, ok := r.added[id]; !ok {
		r.added[id] = nil
	}
}

// grants writes the grant operations and collects per member what changes.
func (r *resolver) grants() error {
	owners, err := r.owners()
	if err != nil {
		return err
	}
	r.added = make(map[string][]policy.Grant, len(r.b.members)+len(r.b.memberPuts)+len(r.memberDel))
	var encErr error
	r.eachDecision(func(k policy.GrantKey) {
		g, _ := r.finalGrant(k)
		old, hadOld := owners[k]
		if hadOld {
			r.touch(old)
		}
		r.ar.reserve(len(k.Reference) + 64)
		start := len(r.ar.buf)
		r.ar.buf = appendGrantKey(r.ar.buf, k)
		key := r.ar.since(start)
		if g == nil {
			if hadOld {
				r.d.dGrants--
			}
			r.kvs = append(r.kvs, kv{key: key, del: true})
			return
		}
		r.added[g.Member] = append(r.added[g.Member], *g)
		if !hadOld {
			r.d.dGrants++
		}
		r.ar.reserve(len(g.Member) + len(g.Access) + 64)
		start = len(r.ar.buf)
		r.ar.buf = encodeGrant(r.ar.buf, g)
		v := r.ar.since(start)
		if len(v) > maxRecordSize && encErr == nil {
			encErr = fmt.Errorf("grant %s: %w", k, errTooLarge)
		}
		r.kvs = append(r.kvs, kv{key: key, value: v})
	})
	return encErr
}

// members writes the member operations.
func (r *resolver) members() error {
	r.finals = make(map[string]*policy.Member, len(r.b.members)+len(r.replacedMembers))
	for id, p := range r.b.members {
		r.touch(id)
		if p == nil {
			r.finals[id] = nil
			r.kvs = append(r.kvs, delKV(pfxMember+id))
			continue
		}
		m := &p.m
		r.finals[id] = m
		r.ar.reserve(len(m.ID) + len(m.Domain) + len(m.Name) + len(m.Email) + 33*len(p.creds) + 64)
		start := len(r.ar.buf)
		r.ar.buf = encodeMember(r.ar.buf, m, p.creds)
		v := r.ar.since(start)
		if len(v) > maxRecordSize {
			return fmt.Errorf("member %s: %w", id, errTooLarge)
		}
		r.kvs = append(r.kvs, putKV(pfxMember+id, v))
	}
	for _, id := range r.replacedMembers {
		r.touch(id)
		r.finals[id] = nil
		r.kvs = append(r.kvs, delKV(pfxMember+id))
	}
	return nil
}

// entries builds the new entry of every touched member and the credential
// index changes.
func (r *resolver) entries() error {
	type holderChange struct{ add, remove []string }
	hc := map[credKey]*holderChange{}
	change := func(k credKey) *holderChange {
		c := hc[k]
		if c == nil {
			c = &holderChange{}
			hc[k] = c
		}
		return c
	}
	for id, added := range r.added {
		old := r.cur.members[id]
		ne := &memberEntry{}
		if old != nil {
			ne.setMember(old.m)
			ne.creds = old.creds
		}
		if m, ok := r.finals[id]; ok {
			if old != nil && old.m != nil {
				for _, cr := range old.creds {
					c := change(credKey{old.m.Domain, cr})
					c.remove = append(c.remove, id)
				}
				r.d.dCreds -= len(old.creds)
			}
			ne.setMember(m)
			ne.creds = nil
			if m != nil {
				ne.creds = r.b.members[id].creds
				for _, cr := range ne.creds {
					c := change(credKey{m.Domain, cr})
					c.add = append(c.add, id)
				}
				r.d.dCreds += len(ne.creds)
			}
		}
		var gs []policy.Grant
		if old != nil {
			for i := range old.grants.Len() {
				if _, dec := r.finalGrant(old.grants.Key(i)); !dec {
					if gs == nil {
						gs = make([]policy.Grant, 0, old.grants.Len()+len(added))
					}
					gs = append(gs, old.grants.At(i))
				}
			}
		}
		if len(added) > 0 {
			gs = append(gs, added...)
			slices.SortFunc(gs, func(a, b policy.Grant) int { return compareGrantKeys(a.GrantKey, b.GrantKey) })
		}
		if len(gs) > 0 {
			l, err := policy.PackGrants(id, gs)
			if err != nil {
				return fmt.Errorf("member %q: %w", id, err)
			}
			ne.grants = l
		}
		if ne.m == nil && ne.grants.Len() == 0 {
			if old != nil {
				r.d.members[id] = nil
			}
			continue
		}
		r.d.members[id] = ne
	}
	for k, c := range hc {
		var h []string
		for _, id := range r.cur.holders[k] {
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
		r.d.holders[k] = h
	}
	return nil
}

// otherKVs writes the operations of the remaining record kinds.
func (r *resolver) otherKVs() error {
	d := r.d
	for id, v := range d.domains {
		if v == nil {
			r.kvs = append(r.kvs, delKV(pfxDomain+id))
		} else {
			r.kvs = append(r.kvs, putKV(pfxDomain+id, encodeDomain(nil, v)))
		}
	}
	for id, v := range d.locks {
		if v == nil {
			r.kvs = append(r.kvs, delKV(pfxLock+id))
		} else {
			r.kvs = append(r.kvs, putKV(pfxLock+id, encodeLock(nil, v)))
		}
	}
	for id, v := range d.accesses {
		if v == nil {
			r.kvs = append(r.kvs, delKV(pfxAccess+id))
			continue
		}
		enc := encodeAccess(nil, v)
		if len(enc) > maxRecordSize {
			return fmt.Errorf("access %s: %w", id, errTooLarge)
		}
		r.kvs = append(r.kvs, putKV(pfxAccess+id, enc))
	}
	for id, v := range d.lockStates {
		if v == nil {
			r.kvs = append(r.kvs, delKV(pfxLockState+id))
		} else {
			r.kvs = append(r.kvs, putKV(pfxLockState+id, encodeLockState(nil, v)))
		}
	}
	for name, v := range d.cursors {
		if v == nil {
			r.kvs = append(r.kvs, delKV(pfxCursor+name))
		} else {
			r.kvs = append(r.kvs, putKV(pfxCursor+name, encodeString(nil, *v)))
		}
	}
	for dom, v := range d.lastSync {
		if v == nil {
			r.kvs = append(r.kvs, delKV(pfxLastSync+dom))
		} else {
			r.kvs = append(r.kvs, putKV(pfxLastSync+dom, encodeTime(nil, *v)))
		}
	}
	return nil
}

// hasGrant reports whether the member holds the grant key in the view.
func (cur *state) hasGrant(member string, k policy.GrantKey) bool {
	e := cur.members[member]
	if e == nil {
		return false
	}
	_, found := e.grants.Search(k, compareGrantKeys)
	return found
}
