package events

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// DefaultStageDir is MemoryDir("/dev/shm").
func DefaultStageDir() string { return MemoryDir("/dev/shm") }

// MemoryDir returns the first of dirs that is a directory on a memory
// filesystem the process may write, or "" (no stage: process-durable
// appends write Badger directly).
func MemoryDir(dirs ...string) string {
	for _, dir := range dirs {
		if dir == "" || !stageSupported || !isMemoryFS(dir) {
			continue
		}
		f, err := os.CreateTemp(dir, ".lockhub-probe-*")
		if err != nil {
			continue
		}
		f.Close()
		os.Remove(f.Name())
		return dir
	}
	return ""
}

// settleWait bounds how long a read waits for the mover before it reads
// what Badger has.
const settleWait = 5 * time.Second

// settle waits until every record staged before the call is in Badger (at
// most settleWait) and reports whether it is. Readers call it so that what
// Append acknowledged is visible to them; without a stage it returns at
// once.
func (l *Log) settle() bool {
	st := l.stage
	if st == nil {
		return true
	}
	return st.waitApplied(st.staged.Load(), settleWait)
}

// doorPending is a staged door event not yet known to be in Badger.
type doorPending struct{ seq, batch uint64 }

// commitStaged is commitBatch for a log with a stage: the batch is encoded
// into stage records instead of Badger transactions, and answered once the
// records are in the ring. Seqs are assigned as in commitBatch. The caller
// holds the l.lead token.
func (l *Log) commitStaged(c *committer) {
	st := l.stage
	now, day, nonces, ok := l.batchStart(c)
	if !ok {
		return
	}
	// Door keys applied to Badger leave the pending set; the view opened
	// after this load sees them (the mover stores applied after its commit).
	if a := st.applied.Load(); a != c.prunedAt {
		for k, d := range c.doors {
			if d.batch <= a {
				delete(c.doors, k)
			}
		}
		c.prunedAt = a
	}
	var view *badger.Txn
	var viewTs uint64
	defer func() {
		if view != nil {
			view.Discard()
			l.vers.endRead(viewTs)
		}
	}()
	maxSize, maxEntries := l.recordLimits()
	c.rec = c.rec[:stageRecHeader]
	var entries, stored int64
	expires := uint64(time.Now().Add(l.cfg.DedupeWindow).Unix()) // Badger's TTL clock
	// Staged door keys first (this batch's too), then Badger.
	lookup := func(dk []byte) (uint64, error) {
		if seq := c.doors[string(dk)].seq; seq != 0 {
			return seq, nil
		}
		if view == nil {
			viewTs = l.vers.beginRead()
			view = l.db.NewTransactionAt(viewTs, false)
		}
		return readU64(view, dk)
	}
	for i, r := range c.batch {
		ev := &r.ev
		dk, p, ok := l.prepare(c, r, nonces[i*nonceSize:(i+1)*nonceSize], now, day, lookup)
		if !ok {
			continue
		}
		if entries > 0 && (int64(len(c.rec))+int64(recordSizeBound(ev))+int64(len(dk))+64 >= maxSize || entries+2 >= maxEntries) {
			l.stageRecord(c, stored)
			entries, stored = 0, 0
		}
		c.slab = eventKey(c.slab[:0], ev.Seq)
		k := len(c.slab)
		c.slab = appendRecord(c.slab, ev, p)
		c.rec = appendOp(c.rec, c.slab[:k], c.slab[k:], 0)
		entries++
		if dk != nil {
			c.rec = appendOp(c.rec, dk, u64(ev.Seq), expires)
			c.doors[string(dk)] = doorPending{seq: ev.Seq, batch: st.batch + 1}
			entries++
		}
		r.seq = ev.Seq
		l.next++
		stored++
	}
	l.stageRecord(c, stored)
	c.slab = c.slab[:0]
}

// recordLimits are the largest stage record the mover can apply in one
// Badger transaction (half of Badger's limits, as for direct commits), and
// no more than a quarter of the ring.
func (l *Log) recordLimits() (size, entries int64) {
	return min(l.db.MaxBatchSize()/2, int64(l.stage.size/4)), l.db.MaxBatchCount() / 2
}

// stageRecord puts c.rec into the ring as the next batch, if it holds any
// op, and accounts the stored events. The events count as appended once
// staged: they survive the hub being killed from here on.
func (l *Log) stageRecord(c *committer, stored int64) {
	st := l.stage
	if len(c.rec) > stageRecHeader {
		sealRecord(c.rec, st.batch+1)
		st.put(c.rec)
		l.lastSeq.Store(l.next - 1)
	}
	l.c.appended.Add(uint64(stored))
	c.rec = c.rec[:stageRecHeader]
}

// moveLoop applies staged records to Badger until the stage is stopped,
// then applies what is left and exits.
func (l *Log) moveLoop() {
	st := l.stage
	defer close(st.done)
	backoff := 50 * time.Millisecond
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	for {
		select {
		case <-st.wake:
		case <-st.stop:
			if err := l.applyStaged(); err != nil {
				l.log.Error("event log stage: final apply failed; the stage file keeps the events for the next start",
					"err", err, "path", st.path)
			}
			return
		}
		// Let records gather, so that one transaction (and one wake-up of
		// Badger's writer) takes many; not when someone waits or the ring
		// is half full.
		if st.published.Load()-st.tail.Load() < st.size/2 {
			gather.Reset(st.delay)
			select {
			case <-gather.C:
			case <-st.urgent:
				gather.Stop()
			case <-st.stop:
				gather.Stop()
			}
		}
		err := l.applyStaged()
		if err == nil {
			if st.failing.Swap(false) {
				l.log.Info("event log stage: applying again")
			}
			backoff = 50 * time.Millisecond
			continue
		}
		if !st.failing.Swap(true) {
			l.log.Error("event log stage: apply failing; appends continue into the stage until it is full",
				"err", err)
		}
		select {
		case <-time.After(backoff):
		case <-st.stop:
		}
		backoff = min(2*backoff, 5*time.Second)
		st.signal()
	}
}

// applyStaged writes every published record to Badger, in transactions of
// whole records within Badger's limits, each also setting m/staged.
func (l *Log) applyStaged() error {
	st := l.stage
	maxSize, maxEntries := l.db.MaxBatchSize()/2, l.db.MaxBatchCount()/2
	for {
		pos, pub := st.tail.Load(), st.published.Load()
		if pos == pub {
			return nil
		}
		readTs, commitTs := l.vers.beginWrite()
		txn := l.db.NewTransactionAt(readTs, true)
		var size, cnt int64
		var last uint64
		for pos < pub {
			off := pos % st.size
			batch, payload, n, wrap, err := parseRecord(st.ring[off:])
			if err == nil && !wrap && cnt > 0 && (size+int64(len(payload)) >= maxSize || cnt+countOps(payload) >= maxEntries) {
				break // the next transaction takes this record
			}
			if err == nil && wrap {
				pos += st.size - off
				continue
			}
			if err == nil {
				err = forOps(payload, func(op stagedOp) error {
					e := badger.NewEntry(op.key, op.val)
					e.ExpiresAt = op.expires
					cnt++
					return txn.SetEntry(e)
				})
			}
			if err != nil {
				txn.Discard()
				l.vers.endWrite(commitTs)
				return fmt.Errorf("apply stage record at %d: %w", pos, err)
			}
			size += int64(len(payload))
			last = batch
			pos += n
		}
		err := txn.SetEntry(badger.NewEntry([]byte(keyStaged), stageMarker(st.id, last)))
		if err == nil {
			err = txn.CommitAt(commitTs, nil)
		} else {
			txn.Discard()
		}
		l.vers.endWrite(commitTs)
		l.c.writes.Add(1)
		if err != nil {
			return fmt.Errorf("write staged events: %w", err)
		}
		l.dirty.Store(true)
		st.advanced(pos, last)
	}
}

// openStage recovers what an earlier run left in the stage (applying the
// batches Badger lacks), then, if create, starts a new, empty stage and
// records its id in Badger. Called by Open before recover.
func (l *Log) openStage(create bool) error {
	if !create {
		// Recovery only: nothing to make.
	} else if err := os.MkdirAll(l.cfg.StageDir, 0o700); err != nil && !l.cfg.StageOptional {
		return fmt.Errorf("events stage: %w", err)
	}
	path, err := StagePath(l.cfg.StageDir, l.cfg.Dir)
	if err != nil {
		return err
	}
	var mid [stageIDSize]byte
	var mbatch uint64
	haveMarker := false
	if err := l.view(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyStaged))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			mid, mbatch, err = parseStageMarker(v)
			haveMarker = err == nil
			return err
		})
	}); err != nil {
		return fmt.Errorf("read stage marker: %w", err)
	}
	old, err := openStageFile(path)
	if errors.Is(err, errStage) {
		// Not a stage this build can read: nothing in it can be recovered.
		bad := path + ".unreadable-" + time.Now().UTC().Format("20060102T150405")
		l.log.Error("event log stage: the stage file is not readable; set aside", "path", bad, "err", err)
		if err := os.Rename(path, bad); err != nil {
			return fmt.Errorf("set aside unreadable stage: %w", err)
		}
	} else if err != nil {
		return err
	}
	if old != nil {
		keep, err := l.recoverStage(old, haveMarker && sameID(old.id, mid), mbatch)
		if err != nil {
			old.unmap()
			return err
		}
		if keep {
			// Set aside for a person to look at; the events after the bad
			// record are not in the log.
			bad := path + ".unreadable-" + time.Now().UTC().Format("20060102T150405")
			err = errors.Join(old.unmap(), os.Rename(path, bad))
			l.log.Error("event log stage: a staged record does not parse; recovery stopped there and the file was set aside",
				"path", bad, "err", err)
		} else if err := old.remove(); err != nil {
			return fmt.Errorf("remove recovered stage: %w", err)
		}
	}
	if !create {
		return nil
	}
	size := uint64(l.cfg.StageSize)
	st, err := createStage(path, size)
	if err != nil && l.cfg.StageOptional {
		l.log.Warn("event log stage: cannot make one; process-durable appends write the disk directly",
			"err", err)
		return nil
	}
	if err != nil {
		return err
	}
	if err := l.update(func(txn *badger.Txn) error {
		return txn.Set([]byte(keyStaged), stageMarker(st.id, 0))
	}); err != nil {
		st.remove()
		return fmt.Errorf("write stage marker: %w", err)
	}
	if err := l.db.Sync(); err != nil {
		st.remove()
		return fmt.Errorf("sync stage marker: %w", err)
	}
	st.delay = l.cfg.FlushInterval / 5 // the syncer runs the rest of the interval later
	l.stage = st
	l.cstate.doors = make(map[string]doorPending)
	l.cstate.rec = make([]byte, stageRecHeader, 64<<10)
	return nil
}

// recoverStage applies the batches of old after mbatch when old belongs to
// this log (ours), and syncs them; a stage of another log (a data directory
// made anew under the same path) is only reported. keep says a record's
// ops did not parse (its checksum did: a bug, not a torn write): recovery
// stopped there and the file should be kept.
func (l *Log) recoverStage(old *stage, ours bool, mbatch uint64) (keep bool, err error) {
	if !ours {
		var n int
		stop, _ := scanStage(old, func(uint64, []byte) error { n++; return nil })
		l.log.Warn("event log stage: discarding a stage file that belongs to no event log here",
			"path", old.path, "records", n, "scan_end", stop)
		return false, nil
	}
	var batches, ops int
	stop, err := scanStage(old, func(batch uint64, payload []byte) error {
		if batch <= mbatch {
			return nil
		}
		if err := forOps(payload, func(stagedOp) error { return nil }); err != nil {
			keep = true
			return err
		}
		err := l.update(func(txn *badger.Txn) error {
			if err := forOps(payload, func(op stagedOp) error {
				e := badger.NewEntry(op.key, op.val)
				e.ExpiresAt = op.expires
				ops++
				return txn.SetEntry(e)
			}); err != nil {
				return err
			}
			return txn.Set([]byte(keyStaged), stageMarker(old.id, batch))
		})
		if err != nil {
			return fmt.Errorf("recover staged batch %d: %w", batch, err)
		}
		batches++
		return nil
	})
	if err != nil && !keep {
		return false, err
	}
	if err := l.db.Sync(); err != nil {
		return false, fmt.Errorf("sync recovered stage: %w", err)
	}
	if batches > 0 {
		l.log.Info("event log stage: recovered staged events", "batches", batches, "writes", ops,
			"after_batch", mbatch, "scan_end", stop)
	}
	return keep, nil
}

// countOps counts the ops of a payload that forOps accepts.
func countOps(payload []byte) int64 {
	var n int64
	forOps(payload, func(stagedOp) error { n++; return nil })
	return n
}

// batchStart reads the batch's ingest time and key day, and fills
// c.nonces with one fresh nonce per request. If the random source fails,
// every request of the batch fails with it and ok is false.
func (l *Log) batchStart(c *committer) (now time.Time, day uint32, nonces []byte, ok bool) {
	now = l.cfg.Now().UTC()
	need := nonceSize * len(c.batch)
	if cap(c.nonces) < need {
		c.nonces = make([]byte, need)
	}
	nonces = c.nonces[:need]
	if _, err := rand.Read(nonces); err != nil {
		for _, r := range c.batch {
			r.err = fmt.Errorf("read nonces: %w", err)
		}
		return now, 0, nil, false
	}
	return now, dayOf(now), nonces, true
}
