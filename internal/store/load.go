package store

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/lockhub/lockhub/policy"
)

// load reads every record into a new state. A record that does not decode
// fails the load: dropping it silently could lift a lockdown or a revocation.
func load(db *badger.DB, clock *clockMark) (*state, string, error) {
	st := newState(clock)
	var epoch string
	zones := map[string]*time.Location{}
	ids := map[string]string{} // interned member and access ids of grants
	grants := map[string][]policy.Grant{}
	err := db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchSize = 256
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			key := item.Key()
			if bytes.HasPrefix(key, []byte(pfxJournal)) || string(key) == keySchema {
				continue
			}
			err := item.Value(func(v []byte) error { return st.loadRecord(key, v, zones, ids, grants, &epoch) })
			if err != nil {
				return fmt.Errorf("record %q: %w", safeKey(key), err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("load: %w", err)
	}
	if err := st.pack(grants); err != nil {
		return nil, "", fmt.Errorf("load: %w", err)
	}
	// Index credentials now that every member is known.
	for id, e := range st.members {
		if e.m == nil {
			continue
		}
		for _, c := range e.creds {
			k := credKey{domain: e.m.Domain, cred: c}
			h := st.holders[k]
			if !slices.Contains(h, id) {
				h = append(h, id)
				if len(h) > 1 {
					slices.Sort(h)
				}
				st.holders[k] = h
			}
		}
		st.nCreds += len(e.creds)
	}
	packHolders(st.holders)
	st.finishRevocations()
	if epoch == "" {
		return nil, "", fmt.Errorf("load: store has no epoch")
	}
	return st, epoch, nil
}

// safeKey shows a key in an error: prefix and printable text only.
func safeKey(k []byte) string {
	if len(k) > 80 {
		k = k[:80]
	}
	return string(bytes.Map(func(r rune) rune {
		if r < ' ' || r > '~' {
			return '?'
		}
		return r
	}, k))
}

// pack moves what the load allocated record by record into a few large
// allocations: every member id, name and email into one string, every
// member entry into one array, every credential list into one array, and
// every member's grants (from grants, per member, sorted) into one
// pointer-free record array over one string (policy.GrantList). The view
// then holds several hundred thousand fewer heap objects and a fraction of
// the pointers the garbage collector's mark phase follows on every cycle
// while the hub runs (docs/performance.md). Entries built later by Apply
// are ordinary allocations; a packed entry's strings and slices are never
// written in place (entries are immutable once published), so sharing
// their backing arrays is safe.
func (st *state) pack(grants map[string][]policy.Grant) error {
	ids := slices.Sorted(maps.Keys(st.members))
	size, nCreds := 0, 0
	for _, id := range ids {
		e := st.members[id]
		size += len(id) + len(e.own.Name) + len(e.own.Email)
		nCreds += len(e.creds)
	}
	type fix struct {
		p      *string
		off, n int
	}
	buf := make([]byte, 0, size)
	fixes := make([]fix, 0, len(ids)*3)
	add := func(p *string) {
		fixes = append(fixes, fix{p, len(buf), len(*p)})
		buf = append(buf, *p...)
	}
	keys := slices.Clone(ids)
	domains := map[string]string{}
	entries := make([]memberEntry, len(ids))
	creds := make([]policy.Credential, 0, nCreds)
	for i, id := range ids {
		e := &entries[i]
		*e = *st.members[id]
		add(&keys[i])
		if e.m != nil {
			e.own.Domain = intern(domains, e.own.Domain)
			add(&e.own.Name)
			add(&e.own.Email)
		}
		n := len(creds)
		creds = append(creds, e.creds...)
		e.creds = creds[n:len(creds):len(creds)]
	}
	arena := string(buf)
	for _, f := range fixes {
		*f.p = arena[f.off : f.off+f.n]
	}
	lists := make([][]policy.Grant, len(ids))
	for i, id := range ids {
		lists[i] = grants[id]
	}
	packed, err := policy.PackGrantLists(keys, lists)
	if err != nil {
		return err
	}
	members := make(map[string]*memberEntry, len(ids))
	for i := range entries {
		e, id := &entries[i], keys[i]
		if e.m != nil {
			e.own.ID = id
			e.m = &e.own
		}
		e.grants = packed[i]
		members[id] = e
	}
	st.members = members
	return nil
}

// packHolders moves every holder list into one array.
func packHolders(h map[credKey][]string) {
	total := 0
	for _, ids := range h {
		total += len(ids)
	}
	flat := make([]string, 0, total)
	for k, ids := range h {
		n := len(flat)
		flat = append(flat, ids...)
		h[k] = flat[n:len(flat):len(flat)]
	}
}

func (st *state) entry(id string) *memberEntry {
	e := st.members[id]
	if e == nil {
		e = &memberEntry{}
		st.members[id] = e
	}
	return e
}

// loadRecord adds one stored record to st; grants are collected per member
// in grants, for pack.
func (st *state) loadRecord(key, v []byte, zones map[string]*time.Location, ids map[string]string,
	grants map[string][]policy.Grant, epoch *string) error {
	if len(key) < 2 || key[1] != '/' {
		return fmt.Errorf("unknown key")
	}
	id := string(key[2:])
	switch string(key[:2]) {
	case pfxGrant:
		k, err := parseGrantKey(key)
		if err != nil {
			return err
		}
		g, err := decodeGrant(k, v)
		if err != nil {
			return err
		}
		g.Access = intern(ids, g.Access)
		g.Member = intern(ids, g.Member)
		st.entry(g.Member)
		// Keys iterate in grant-key order, so each member's list is sorted.
		grants[g.Member] = append(grants[g.Member], g)
		st.nGrants++
	case pfxMember:
		m, creds, err := decodeMember(v)
		if err != nil {
			return err
		}
		if m.ID != id {
			return fmt.Errorf("member id does not match its key")
		}
		e := st.entry(id)
		e.setMember(&m)
		e.creds = creds
	case pfxDomain:
		d, zone, err := decodeDomain(v)
		if err != nil {
			return err
		}
		if d.ID != id {
			return fmt.Errorf("domain id does not match its key")
		}
		if zone != "" {
			loc, ok := zones[zone]
			if !ok {
				if loc, err = time.LoadLocation(zone); err != nil {
					return fmt.Errorf("domain %s zone: %w", id, err)
				}
				zones[zone] = loc
			}
			d.Zone = loc
		}
		st.domains[id] = &d
	case pfxLock:
		l, err := decodeLock(v)
		if err != nil {
			return err
		}
		if l.ID != id {
			return fmt.Errorf("lock id does not match its key")
		}
		st.locks[id] = &l
	case pfxAccess:
		a, err := decodeAccess(v)
		if err != nil {
			return err
		}
		if a.ID != id {
			return fmt.Errorf("access id does not match its key")
		}
		a.Index()
		st.accesses[id] = &a
	case pfxLockState:
		ls, err := decodeLockState(v)
		if err != nil {
			return err
		}
		st.lockStates[id] = ls
	case pfxCursor:
		c, err := decodeString(v)
		if err != nil {
			return err
		}
		st.cursors[id] = c
	case pfxLastSync:
		t, err := decodeTime(v)
		if err != nil {
			return err
		}
		st.lastSync[id] = t
	case pfxRevocation:
		return st.loadRevocation(key, v)
	case "x/":
		switch string(key) {
		case keyEpoch:
			e, err := decodeString(v)
			if err != nil {
				return err
			}
			*epoch = e
		case keyClock:
			t, err := decodeTime(v)
			if err != nil {
				return err
			}
			if !t.IsZero() {
				st.clock.note(t)
				st.clock.persisted.Store(t.UnixNano())
			}
		}
	default:
		return fmt.Errorf("unknown key prefix")
	}
	return nil
}

// intern returns the one copy of s kept in ids.
func intern(ids map[string]string, s string) string {
	if v, ok := ids[s]; ok {
		return v
	}
	ids[s] = s
	return s
}
