package upstream

import (
	"slices"
	"sort"
)

// Range is an inclusive range of hub sequence numbers.
type Range struct{ From, To uint64 }

// Len is the number of seqs in r.
func (r Range) Len() uint64 { return r.To - r.From + 1 }

// StreamReport is what the sink holds of one (hub, epoch) sequence.
type StreamReport struct {
	Hub, Epoch string
	// FirstSeq and LastSeq bound what was received or declared dropped. A
	// stream starts at the first seq seen: a restored store begins a new
	// epoch above 1.
	FirstSeq, LastSeq uint64
	Unique            int     // distinct seqs received
	Missing           []Range // seqs in [FirstSeq, LastSeq] neither received nor declared dropped
	Declared          []Range // ranges declared dropped by gap records, as received
	DeclaredEvents    uint64  // seqs covered by Declared (overlaps counted once)
}

// Report is a snapshot of everything the sink has seen.
type Report struct {
	Requests  int // every request
	Accepted  int // batches stored (2xx, not replays)
	Replays   int // a known key with the same body: 200, nothing stored
	Conflicts int // a known key with a different body: 422
	Rejected  int // other refusals (auth, encoding, size, decoding)
	Faulted   int // requests an injected fault hit

	Events         int // events in accepted batches, duplicates included
	Unique         int // distinct (hub, epoch, seq)
	Duplicates     int // events whose (hub, epoch, seq) was already held: a re-send under another key
	DoorDuplicates int // door events whose (hub, lock, boot_epoch, lock_seq) was already held under another seq
	Scrubbed       int // distinct events flagged scrubbed
	Gaps           int // distinct gap records
	Streams        []StreamReport
}

type streamID struct{ hub, epoch string }

type doorID struct {
	hub, lock string
	boot      uint32
	seq       uint64
}

const chunkBits = 12 // 4096 seqs per bitmap chunk

// stream is the sink's record of one (hub, epoch).
type stream struct {
	chunks   map[uint64]*[1 << chunkBits / 64]uint64
	min, max uint64
	unique   int
	declared []Range
}

func newStream() *stream { return &stream{chunks: map[uint64]*[1 << chunkBits / 64]uint64{}} }

// add marks seq received and reports whether it was new.
func (s *stream) add(seq uint64) bool {
	c := s.chunks[seq>>chunkBits]
	if c == nil {
		c = new([1 << chunkBits / 64]uint64)
		s.chunks[seq>>chunkBits] = c
	}
	i := seq & (1<<chunkBits - 1)
	if c[i/64]&(1<<(i%64)) != 0 {
		return false
	}
	c[i/64] |= 1 << (i % 64)
	s.unique++
	s.widen(seq, seq)
	return true
}

func (s *stream) has(seq uint64) bool {
	c := s.chunks[seq>>chunkBits]
	i := seq & (1<<chunkBits - 1)
	return c != nil && c[i/64]&(1<<(i%64)) != 0
}

func (s *stream) widen(from, to uint64) {
	if s.min == 0 || from < s.min {
		s.min = from
	}
	s.max = max(s.max, to)
}

// report computes the missing ranges: a walk from min to max that jumps
// over declared ranges.
func (s *stream) report(id streamID) StreamReport {
	r := StreamReport{Hub: id.hub, Epoch: id.epoch, FirstSeq: s.min, LastSeq: s.max, Unique: s.unique,
		Declared: slices.Clone(s.declared)}
	merged := mergeRanges(s.declared)
	for _, d := range merged {
		r.DeclaredEvents += d.Len()
	}
	di := 0
	var open *Range
	for seq := s.min; seq != 0 && seq <= s.max; seq++ {
		for di < len(merged) && merged[di].To < seq {
			di++
		}
		if di < len(merged) && merged[di].From <= seq {
			open = nil
			seq = merged[di].To
			continue
		}
		if s.has(seq) {
			open = nil
			continue
		}
		if open == nil {
			r.Missing = append(r.Missing, Range{seq, seq})
			open = &r.Missing[len(r.Missing)-1]
		} else {
			open.To = seq
		}
	}
	return r
}

func mergeRanges(in []Range) []Range {
	rs := slices.Clone(in)
	sort.Slice(rs, func(i, j int) bool { return rs[i].From < rs[j].From })
	var out []Range
	for _, r := range rs {
		if n := len(out); n > 0 && r.From <= out[n-1].To+1 {
			out[n-1].To = max(out[n-1].To, r.To)
			continue
		}
		out = append(out, r)
	}
	return out
}

// ledger is everything accepted. The Sink's mutex guards it.
type ledger struct {
	streams map[streamID]*stream
	doors   map[doorID]uint64 // door identity -> the hub seq it first came with
	keep    map[streamID]map[uint64]Event
	rep     Report // counters; Streams filled by snapshot
}

func newLedger(keep bool) *ledger {
	l := &ledger{streams: map[streamID]*stream{}, doors: map[doorID]uint64{}}
	if keep {
		l.keep = map[streamID]map[uint64]Event{}
	}
	return l
}

// add stores the events of an accepted batch and returns how many were new
// and how many duplicates.
func (l *ledger) add(b *Batch) (fresh, dups int) {
	for i := range b.Events {
		e := &b.Events[i]
		id := streamID{b.Hub, e.Epoch}
		s := l.streams[id]
		if s == nil {
			s = newStream()
			l.streams[id] = s
		}
		l.rep.Events++
		if !s.add(e.Seq) {
			l.rep.Duplicates++
			dups++
			continue
		}
		fresh++
		l.rep.Unique++
		if e.Scrubbed {
			l.rep.Scrubbed++
		}
		switch e.Type {
		case "gap":
			l.rep.Gaps++
			s.declared = append(s.declared, Range{e.GapFrom, e.GapTo})
			s.widen(e.GapFrom, e.GapTo)
		case "door":
			d := doorID{b.Hub, e.Lock, *e.BootEpoch, *e.LockSeq}
			if _, seen := l.doors[d]; seen {
				l.rep.DoorDuplicates++
			} else {
				l.doors[d] = e.Seq
			}
		}
		if l.keep != nil {
			m := l.keep[id]
			if m == nil {
				m = map[uint64]Event{}
				l.keep[id] = m
			}
			m[e.Seq] = *e
		}
	}
	return fresh, dups
}

func (l *ledger) snapshot() Report {
	r := l.rep
	ids := make([]streamID, 0, len(l.streams))
	for id := range l.streams {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].hub != ids[j].hub {
			return ids[i].hub < ids[j].hub
		}
		return ids[i].epoch < ids[j].epoch
	})
	for _, id := range ids {
		r.Streams = append(r.Streams, l.streams[id].report(id))
	}
	return r
}
