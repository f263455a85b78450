package policy

import (
	"fmt"
	"math"
	"time"
)

// GrantList is one member's grants, sorted by grant key, in a layout the
// garbage collector does not need to scan: fixed-size records without
// pointers that hold offsets into one string of references and access ids.
// A hub caches hundreds of thousands of grants; as []Grant each carries five
// pointers (three strings, two time locations) that every GC cycle must
// follow, and the mark phase of that view was what limited sustained
// throughput (docs/performance.md). A GrantList costs the collector two
// pointers, whatever its length.
//
// The zero value is an empty list. A GrantList is immutable; copies share
// their storage. At materialises a Grant without allocating: its strings
// point into the list's string.
type GrantList struct {
	member string
	strs   string     // references and access ids, concatenated
	recs   []grantRec // sorted by grant key
}

// grantRec is one grant without pointers. Times are kept as seconds and
// nanoseconds so that every instant round-trips (UnixNano covers only
// 1678–2262); a zero time is flagged, not encoded.
type grantRec struct {
	fromSec, untilSec   int64
	fromNsec, untilNsec int32
	ref, refLen         uint32 // the reference: strs[ref : ref+refLen]
	acc, accLen         uint32 // the access id
	origin              Origin
	kind                GrantKind
	flags               uint8
}

const (
	recHasFrom uint8 = 1 << iota
	recHasUntil
)

// Len returns the number of grants.
func (l GrantList) Len() int { return len(l.recs) }

// Member returns the id of the member the grants belong to.
func (l GrantList) Member() string { return l.member }

// Key returns the key of grant i.
func (l GrantList) Key(i int) GrantKey {
	r := &l.recs[i]
	return GrantKey{Origin: r.origin, Kind: r.kind, Reference: l.strs[r.ref : r.ref+r.refLen]}
}

// At returns grant i. Its strings share the list's storage.
func (l GrantList) At(i int) Grant {
	r := &l.recs[i]
	g := Grant{
		GrantKey: GrantKey{Origin: r.origin, Kind: r.kind, Reference: l.strs[r.ref : r.ref+r.refLen]},
		Member:   l.member,
		Access:   l.strs[r.acc : r.acc+r.accLen],
	}
	if r.flags&recHasFrom != 0 {
		g.From = time.Unix(r.fromSec, int64(r.fromNsec)).UTC()
	}
	if r.flags&recHasUntil != 0 {
		g.Until = time.Unix(r.untilSec, int64(r.untilNsec)).UTC()
	}
	return g
}

// Slice returns the grants as a new slice (nil when there are none).
func (l GrantList) Slice() []Grant {
	if len(l.recs) == 0 {
		return nil
	}
	gs := make([]Grant, len(l.recs))
	for i := range gs {
		gs[i] = l.At(i)
	}
	return gs
}

// Search returns the index of the grant with key k and whether it is there
// (compare orders keys as the list is sorted).
func (l GrantList) Search(k GrantKey, compare func(a, b GrantKey) int) (int, bool) {
	lo, hi := 0, len(l.recs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if compare(l.Key(m), k) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(l.recs) && compare(l.Key(lo), k) == 0
}

// PackGrants builds the list of member's grants from gs, in their order
// (sorted by grant key if Search is to be used); their Member fields are not
// read. It fails only when the strings exceed 4 GiB.
func PackGrants(member string, gs []Grant) (GrantList, error) {
	lists, err := PackGrantLists([]string{member}, [][]Grant{gs})
	if err != nil {
		return GrantList{}, err
	}
	return lists[0], nil
}

// PackGrantLists packs the grants of many members at once: every list shares
// one record array and one string (access ids stored once), so a whole view
// costs the allocator three objects. members[i] owns grants[i].
func PackGrantLists(members []string, grants [][]Grant) ([]GrantList, error) {
	if len(members) != len(grants) {
		return nil, fmt.Errorf("pack grants: %d members, %d grant lists", len(members), len(grants))
	}
	n, size := 0, 0
	for _, gs := range grants {
		n += len(gs)
		for i := range gs {
			size += len(gs[i].Reference)
		}
	}
	buf := make([]byte, 0, size+n/8)
	recs := make([]grantRec, 0, n)
	type span struct{ off, n uint32 }
	accs := map[string]span{}
	add := func(s string) (span, error) {
		if len(buf)+len(s) > math.MaxUint32 {
			return span{}, fmt.Errorf("pack grants: more than 4 GiB of strings")
		}
		sp := span{uint32(len(buf)), uint32(len(s))}
		buf = append(buf, s...)
		return sp, nil
	}
	for _, gs := range grants {
		for i := range gs {
			g := &gs[i]
			ref, err := add(g.Reference)
			if err != nil {
				return nil, err
			}
			acc, ok := accs[g.Access]
			if !ok {
				if acc, err = add(g.Access); err != nil {
					return nil, err
				}
				accs[g.Access] = acc
			}
			r := grantRec{ref: ref.off, refLen: ref.n, acc: acc.off, accLen: acc.n, origin: g.Origin, kind: g.Kind}
			if !g.From.IsZero() {
				r.flags |= recHasFrom
				r.fromSec, r.fromNsec = g.From.Unix(), int32(g.From.Nanosecond())
			}
			if !g.Until.IsZero() {
				r.flags |= recHasUntil
				r.untilSec, r.untilNsec = g.Until.Unix(), int32(g.Until.Nanosecond())
			}
			recs = append(recs, r)
		}
	}
	strs := string(buf)
	out := make([]GrantList, len(members))
	at := 0
	for i, gs := range grants {
		if len(gs) == 0 {
			out[i] = GrantList{member: members[i]}
			continue
		}
		out[i] = GrantList{member: members[i], strs: strs, recs: recs[at : at+len(gs) : at+len(gs)]}
		at += len(gs)
	}
	return out, nil
}
