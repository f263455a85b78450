package events

import (
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Peek returns up to max events of the outbox with seq > afterSeq, in seq
// order, starting no earlier than the outbox pointer. maxBytes (0: no
// limit) bounds the sum of their stored sizes; the first event is always
// returned. Personal fields are decrypted, or the event is marked Scrubbed.
func (l *Log) Peek(afterSeq uint64, max, maxBytes int) ([]Event, error) {
	l.settle() // see what Append acknowledged (stage_log.go)
	if max <= 0 {
		return nil, nil
	}
	start := afterSeq
	if a := l.acked.Load(); a > start {
		start = a
	}
	var out []Event
	err := l.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{
			PrefetchValues: true, PrefetchSize: min(max, 256), Prefix: []byte(prefixEvent),
		})
		defer it.Close()
		bytes := 0
		for it.Seek(eventKey(nil, start+1)); it.Valid() && len(out) < max; it.Next() {
			item := it.Item()
			bytes += int(item.ValueSize())
			if maxBytes > 0 && bytes > maxBytes && len(out) > 0 {
				break
			}
			out = append(out, Event{})
			if err := l.readItem(item, &out[len(out)-1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("peek outbox: %w", err)
	}
	return out, nil
}

// Ack removes every event with seq <= uptoSeq from the outbox view. The
// events stay in the audit copy until PruneBefore removes them.
func (l *Log) Ack(uptoSeq uint64) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	upto := min(uptoSeq, l.lastSeq.Load())
	if upto <= l.acked.Load() {
		return nil
	}
	if err := l.update(func(txn *badger.Txn) error { return txn.Set([]byte(keyAcked), u64(upto)) }); err != nil {
		return fmt.Errorf("ack outbox: %w", err)
	}
	l.acked.Store(upto)
	l.dirty.Store(true)
	return nil
}

// Pending returns the number of events in the outbox and the ingest time
// of the oldest (zero when the outbox is empty).
func (l *Log) Pending() (count int, oldest time.Time) {
	l.settle() // see what Append acknowledged (stage_log.go)
	last, acked := l.lastSeq.Load(), l.acked.Load()
	if last <= acked {
		return 0, time.Time{}
	}
	evs, err := l.Peek(acked, 1, 0)
	if err != nil {
		l.log.Warn("read oldest pending event", "err", err)
	}
	if len(evs) == 1 {
		oldest = evs[0].Ingest
	}
	return int(last - acked), oldest
}

// Recent returns up to n of the newest events of the audit copy, newest
// first, for the status page.
func (l *Log) Recent(n int) ([]Event, error) {
	l.settle() // see what Append acknowledged (stage_log.go)
	if n <= 0 {
		return nil, nil
	}
	var out []Event
	err := l.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{
			PrefetchValues: true, PrefetchSize: min(n, 256), Prefix: []byte(prefixEvent), Reverse: true,
		})
		defer it.Close()
		for it.Seek(eventKey(nil, ^uint64(0))); it.Valid() && len(out) < n; it.Next() {
			out = append(out, Event{})
			if err := l.readItem(it.Item(), &out[len(out)-1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read recent events: %w", err)
	}
	return out, nil
}

// Get returns the stored event seq (from the outbox or the audit copy).
func (l *Log) Get(seq uint64) (Event, error) {
	l.settle() // see what Append acknowledged (stage_log.go)
	var ev Event
	err := l.view(func(txn *badger.Txn) error {
		item, err := txn.Get(eventKey(nil, seq))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return l.readItem(item, &ev)
	})
	if err != nil {
		return Event{}, fmt.Errorf("get event %d: %w", seq, err)
	}
	return ev, nil
}

// readItem decodes an e/ item and opens its personal fields.
func (l *Log) readItem(item *badger.Item, ev *Event) error {
	seq, ok := seqOfKey(item.Key())
	if !ok {
		return fmt.Errorf("%w: bad event key", ErrCorrupt)
	}
	return item.Value(func(v []byte) error {
		p, err := decodeRecord(v, ev)
		if err != nil {
			return fmt.Errorf("event %d: %w", seq, err)
		}
		if ev.Seq != seq {
			return fmt.Errorf("%w: event %d stored under seq %d", ErrCorrupt, ev.Seq, seq)
		}
		return l.open(ev, p)
	})
}

// open decrypts the personal section into ev, or marks ev Scrubbed when its
// key is gone or does not open it.
func (l *Log) open(ev *Event, p sealed) error {
	if !p.present {
		return nil
	}
	id := keyID{domain: ev.Domain, day: p.day}
	a, err := l.keys.aead(id, false)
	if err != nil {
		return fmt.Errorf("event %d: %w", ev.Seq, err)
	}
	if a == nil {
		ev.Scrubbed = true
		return nil
	}
	var ad [64]byte
	plain, err := a.Open(nil, p.nonce, p.ct, additionalData(ad[:0], ev.Seq, id))
	if err == nil {
		ev.Personal, err = decodePersonal(plain)
		clear(plain)
	}
	if err != nil {
		l.c.decryptFailures.Add(1)
		ev.Scrubbed = true
	}
	return nil
}

// PruneBefore deletes from the audit copy the uploaded (acked) events
// ingested before cutoff, oldest first, stopping at the first that is newer
// or still in the outbox. It returns how many it deleted.
func (l *Log) PruneBefore(cutoff time.Time) (int, error) {
	l.settle() // see what Append acknowledged (stage_log.go)
	acked := l.acked.Load()
	var keys [][]byte
	err := l.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixEvent)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			seq, ok := seqOfKey(item.Key())
			if !ok || seq > acked {
				return nil
			}
			var ingest time.Time
			if err := item.Value(func(v []byte) error {
				var ok bool
				ingest, ok = recordIngest(v)
				if !ok {
					return fmt.Errorf("%w: event %d", ErrCorrupt, seq)
				}
				return nil
			}); err != nil {
				return err
			}
			if !ingest.Before(cutoff) {
				return nil
			}
			keys = append(keys, item.KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	if err := l.deleteKeys(keys); err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	return len(keys), nil
}

// deleteChunk is the most keys deleted in one write: a write holds back
// what readers see (versions.go) until it finishes.
const deleteChunk = 10_000

// deleteKeys deletes keys, deleteChunk at a time, each chunk at a version of
// its own.
func (l *Log) deleteKeys(keys [][]byte) error {
	for len(keys) > 0 {
		n := min(len(keys), deleteChunk)
		if err := l.deleteBatch(keys[:n]); err != nil {
			return err
		}
		keys = keys[n:]
		l.dirty.Store(true)
	}
	return nil
}

func (l *Log) deleteBatch(keys [][]byte) error {
	_, commitTs := l.vers.beginWrite()
	defer l.vers.endWrite(commitTs)
	wb := l.db.NewWriteBatchAt(commitTs)
	defer wb.Cancel()
	for _, k := range keys {
		if err := wb.Delete(k); err != nil {
			return err
		}
	}
	return wb.Flush()
}

// recordIngest reads the ingest time of a record without decoding it all.
func recordIngest(v []byte) (time.Time, bool) {
	d := decoder{b: v}
	if d.byte() != recordVersion {
		return time.Time{}, false
	}
	d.byte()
	d.uvarint()
	d.string()
	d.varint()
	n := d.varint()
	return fromNano(n), d.err == nil
}

// enforceCap runs on the committer after each batch, before its appenders
// are answered: when the outbox holds more than MaxOutboxEvents, it drops
// the oldest (plus 1% of the cap, so gap records stay rare), writes a gap record for them and moves the outbox
// pointer past them in one transaction, then deletes their records.
func (l *Log) enforceCap(c *committer) error {
	limit := uint64(l.cfg.MaxOutboxEvents)
	if l.lastSeq.Load()-l.acked.Load() <= limit {
		return nil
	}
	l.wmu.Lock()
	last, acked := l.lastSeq.Load(), l.acked.Load()
	pending := last - acked
	if pending <= limit {
		l.wmu.Unlock()
		return nil
	}
	if !l.settle() {
		// Dropping events the mover has not applied would let it write
		// them back: try again after the next batch.
		l.wmu.Unlock()
		return errors.New("stage not applied in time: cap deferred")
	}
	n := min(pending+1-limit+max(1, limit/100), pending)
	from, to := acked+1, acked+n
	now := l.cfg.Now().UTC()
	gap := Event{
		Seq: l.next, Epoch: l.cfg.Epoch, Time: now, Ingest: now, Type: TypeGap,
		GapFrom: from, GapTo: to, GapReason: GapOutboxFull,
	}
	c.slab = appendRecord(c.slab[:0], &gap, sealed{})
	err := l.update(func(txn *badger.Txn) error {
		if err := txn.Set(eventKey(nil, gap.Seq), c.slab); err != nil {
			return err
		}
		return txn.Set([]byte(keyAcked), u64(to))
	})
	c.slab = c.slab[:0]
	l.c.writes.Add(1)
	if err != nil {
		l.wmu.Unlock()
		return fmt.Errorf("write gap record: %w", err)
	}
	l.next++
	l.lastSeq.Store(gap.Seq)
	l.acked.Store(to)
	l.dirty.Store(true)
	l.wmu.Unlock()
	l.c.dropped.Add(n)
	l.c.gaps.Add(1)
	l.log.Warn("outbox full: dropped oldest events", "from_seq", from, "to_seq", to,
		"gap_seq", gap.Seq, "max_outbox_events", limit)

	keys := make([][]byte, 0, min(n, deleteChunk))
	for s := from; s <= to; s++ {
		keys = append(keys, eventKey(nil, s))
		if len(keys) == deleteChunk || s == to {
			if err := l.deleteKeys(keys); err != nil {
				return fmt.Errorf("delete dropped events: %w", err)
			}
			keys = keys[:0]
		}
	}
	return nil
}
