package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// ErrInvalid wraps the reason an event was refused by Append.
var ErrInvalid = errors.New("invalid event")

// request is one queued append. It is pooled; the committer fills the
// result fields and signals done.
type request struct {
	ev   Event
	seq  uint64
	dup  bool
	err  error
	done chan struct{} // buffered 1
}

// Append stores ev and returns its hub sequence number; when it stores
// the event it also sets ev.Seq, ev.Epoch and ev.Ingest. With DurabilityProcess it returns once the event
// is in Badger; with DurabilityDisk once an fsync covers it. A door event
// already stored (same lock, boot and lock seq) is not stored again: its
// original seq is returned (use AppendDoor to learn that it was a
// duplicate).
//
// An error from ctx after the event was queued means the outcome is
// unknown: the event may still be stored.
func (l *Log) Append(ctx context.Context, ev *Event) (uint64, error) {
	seq, _, err := l.append(ctx, ev)
	return seq, err
}

// AppendDoor appends a door event and reports whether it was a duplicate
// of one already stored, in which case seq is the original's and nothing is
// written (the hub still acknowledges it to the lock). The dedupe index is
// written in the same transaction as the event.
func (l *Log) AppendDoor(ctx context.Context, ev *Event) (seq uint64, duplicate bool, err error) {
	if ev.Type != TypeDoor {
		return 0, false, fmt.Errorf("%w: AppendDoor with a %s event", ErrInvalid, ev.Type)
	}
	return l.append(ctx, ev)
}

func (l *Log) append(ctx context.Context, ev *Event) (uint64, bool, error) {
	if err := validate(ev); err != nil {
		return 0, false, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if n := recordSizeBound(ev); n > MaxRecordSize {
		return 0, false, fmt.Errorf("%w: about %d bytes encoded", ErrTooLarge, n)
	}
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	r := l.pool.Get().(*request)
	r.ev = *ev
	r.seq, r.dup, r.err = 0, false, nil

	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		l.pool.Put(r)
		return 0, false, ErrClosed
	}
	select {
	case l.reqs <- r:
		l.mu.RUnlock()
	case <-ctx.Done():
		l.mu.RUnlock()
		l.pool.Put(r)
		return 0, false, ctx.Err()
	}
	// Wait for a committer to take r, or become the committer: whoever holds
	// the token commits everything queued, so at low load an appender
	// commits its own event on its own goroutine (no hand-off), and under
	// load one Badger write (one fsync with DurabilityDisk) covers every
	// append that queued while the previous one ran: group commit.
	for done := false; !done; {
		select {
		case <-r.done:
			done = true
		case <-l.lead:
			l.commitQueued()
			l.lead <- struct{}{}
			select {
			case <-r.done:
				done = true
			default: // r did not fit in that batch: wait or lead again
			}
		case <-ctx.Done():
			return 0, false, ctx.Err() // r stays queued; not pooled
		}
	}
	seq, dup, err := r.seq, r.dup, r.err
	if err == nil && !dup {
		ev.Seq, ev.Epoch, ev.Ingest = seq, r.ev.Epoch, r.ev.Ingest
	}
	r.ev = Event{}
	l.pool.Put(r)
	return seq, dup, err
}

// committer state, owned by whoever holds l.lead.
type committer struct {
	batch  []*request
	slab   []byte // keys and values of the open transaction
	nonces []byte
	ad     []byte
	plain  []byte
	ct     []byte // sealed personal section of the current event
	// With a stage (stage_log.go): the record being built, the door keys
	// staged but maybe not yet in Badger, and the applied batch they were
	// last pruned at.
	rec      []byte
	doors    map[string]doorPending
	prunedAt uint64
}

// commitQueued gathers what is queued (up to MaxBatch) into one batch,
// writes it in as few transactions as fit Badger's limits and answers the
// appenders. In disk mode each transaction commit fsyncs (SyncWrites). The
// caller holds the l.lead token.
func (l *Log) commitQueued() {
	c := l.cstate
	c.batch = c.batch[:0]
gather:
	for len(c.batch) < l.cfg.MaxBatch {
		select {
		case r := <-l.reqs:
			c.batch = append(c.batch, r)
		default:
			break gather
		}
	}
	if len(c.batch) == 0 {
		return
	}
	if l.stage != nil {
		l.commitStaged(c)
	} else {
		l.commitBatch(c)
	}
	if err := l.enforceCap(c); err != nil {
		l.log.Error("outbox cap enforcement failed", "err", err)
	}
	for i, r := range c.batch {
		r.done <- struct{}{}
		c.batch[i] = nil
	}
	l.c.batches.Add(1)
}

// rescueLoop commits appends left queued by appenders that gave up (their
// ctx ended before a committer took them), within one FlushInterval.
func (l *Log) rescueLoop() {
	defer close(l.rescuerDone)
	t := time.NewTicker(l.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-l.quit:
			return
		case <-t.C:
		}
		if len(l.reqs) == 0 {
			continue
		}
		select {
		case <-l.lead:
			l.commitQueued()
			l.lead <- struct{}{}
		default: // an appender is committing: it takes the queue
		}
	}
}

// segment is one Badger transaction of a batch.
type segment struct {
	txn        *badger.Txn
	commitTs   uint64 // its Badger version (versions.go)
	start      int    // first request of the batch in it
	firstSeq   uint64 // l.next when it began
	size, cnt  int64
	maxSize    int64
	maxEntries int64
}

func (l *Log) newSegment(start int) *segment {
	readTs, commitTs := l.vers.beginWrite()
	return &segment{
		txn: l.db.NewTransactionAt(readTs, true), commitTs: commitTs, start: start, firstSeq: l.next,
		maxSize: l.db.MaxBatchSize() / 2, maxEntries: l.db.MaxBatchCount() / 2,
	}
}

// abandon discards the segment's transaction without committing it.
func (l *Log) abandon(s *segment) {
	s.txn.Discard()
	l.vers.endWrite(s.commitTs)
}

// finish commits the segment and records the outcome for requests
// [s.start, end).
func (l *Log) finish(c *committer, s *segment, end int) {
	err := s.txn.CommitAt(s.commitTs, nil)
	l.vers.endWrite(s.commitTs)
	l.c.writes.Add(1)
	var stored uint64
	for _, r := range c.batch[s.start:end] {
		switch {
		case r.err != nil:
		case err != nil:
			r.err = fmt.Errorf("write events: %w", err)
		case !r.dup:
			stored++
		}
	}
	if err != nil {
		l.log.Error("event write failed", "err", err, "first_seq", s.firstSeq)
		// Seqs of a failed commit are burned, never reused: the write may
		// have reached the WAL.
	} else {
		l.lastSeq.Store(l.next - 1)
		l.dirty.Store(true)
	}
	l.c.appended.Add(stored)
	c.slab = c.slab[:0]
}

func (l *Log) commitBatch(c *committer) {
	now, day, nonces, ok := l.batchStart(c)
	if !ok {
		return
	}
	s := l.newSegment(0)
	// The open transaction sees its own writes: duplicates within the batch.
	lookup := func(dk []byte) (uint64, error) { return readU64(s.txn, dk) }
	for i, r := range c.batch {
		ev := &r.ev
		dk, p, ok := l.prepare(c, r, nonces[i*nonceSize:(i+1)*nonceSize], now, day, lookup)
		if !ok {
			continue
		}
		k0 := len(c.slab)
		c.slab = eventKey(c.slab, ev.Seq)
		v0 := len(c.slab)
		c.slab = appendRecord(c.slab, ev, p)
		key, val := c.slab[k0:v0:v0], c.slab[v0:len(c.slab):len(c.slab)]
		add := int64(len(key)+len(val)+len(dk)+8) + 64
		if s.cnt > 0 && (s.size+add >= s.maxSize || s.cnt+2 >= s.maxEntries) {
			// Keep the event and its index in one transaction: close this
			// one first. The slab is reset by finish, so re-encode.
			l.finish(c, s, i)
			s = l.newSegment(i)
			c.slab = eventKey(c.slab, ev.Seq)
			v0 = len(c.slab)
			c.slab = appendRecord(c.slab, ev, p)
			key, val = c.slab[:v0:v0], c.slab[v0:len(c.slab):len(c.slab)]
		}
		if err := s.txn.SetEntry(badger.NewEntry(key, val)); err != nil {
			r.err = fmt.Errorf("queue event: %w", err)
			continue
		}
		if dk != nil {
			e := badger.NewEntry(dk, u64(ev.Seq)).WithTTL(l.cfg.DedupeWindow)
			if err := s.txn.SetEntry(e); err != nil {
				// The event is already in the transaction: fail them all.
				l.abandon(s)
				l.next = s.firstSeq
				for _, q := range c.batch[s.start : i+1] {
					q.err = fmt.Errorf("queue door index: %w", err)
				}
				c.slab = c.slab[:0]
				s = l.newSegment(i + 1)
				continue
			}
		}
		s.size += add
		s.cnt += 2
		r.seq = ev.Seq
		l.next++
	}
	l.finish(c, s, len(c.batch))
}

// prepare looks r's door event up (a duplicate is answered with the stored
// seq), then numbers r's event and seals its personal fields. With ok false
// r is answered (a duplicate or an error) and takes no seq; dk is the door
// key of a door event.
func (l *Log) prepare(c *committer, r *request, nonce []byte, now time.Time, day uint32,
	lookup func(dk []byte) (uint64, error)) (dk []byte, p sealed, ok bool) {
	ev := &r.ev
	if ev.Type == TypeDoor {
		dk = doorKey(nil, ev.Lock, ev.Boot, ev.LockSeq)
		seq, err := lookup(dk)
		if err != nil {
			r.err = fmt.Errorf("read door index: %w", err)
			return nil, sealed{}, false
		}
		if seq != 0 {
			r.seq, r.dup = seq, true
			l.c.duplicates.Add(1)
			return nil, sealed{}, false
		}
	}
	ev.Seq, ev.Epoch, ev.Ingest = l.next, l.cfg.Epoch, now
	p, err := l.seal(c, ev, day, nonce)
	if err != nil {
		r.err = err
		return nil, sealed{}, false
	}
	return dk, p, true
}

// seal encrypts ev's personal fields under the (domain, day) key, creating
// the key on first use.
func (l *Log) seal(c *committer, ev *Event, day uint32, nonce []byte) (sealed, error) {
	if ev.Personal.IsZero() {
		return sealed{}, nil
	}
	id := keyID{domain: ev.Domain, day: day}
	a, err := l.keys.aead(id, true)
	if err != nil {
		return sealed{}, fmt.Errorf("personal-field key: %w", err)
	}
	c.plain = appendPersonal(c.plain[:0], ev.Personal)
	c.ad = additionalData(c.ad[:0], ev.Seq, id)
	c.ct = a.Seal(c.ct[:0], nonce, c.plain, c.ad)
	clear(c.plain)
	return sealed{present: true, day: day, nonce: nonce, ct: c.ct}, nil
}
