package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/lockhub/lockhub/policy"
)

// Apply writes the batch atomically and durably, then shows it to readers.
// When Apply returns nil, the whole batch is on disk (synced) and in the
// view; when it fails before its commit point, none of it is, on disk or in
// memory, even across a crash. A batch may be far larger than one Badger
// transaction (a full sync): those go through the redo journal (journal.go).
// Readers see the state before or after the batch, never a mix. A Batch is
// consumed by Apply.
func (s *Store) Apply(ctx context.Context, b *Batch) error {
	if b.err != nil {
		return fmt.Errorf("apply batch: %w", b.err)
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	switch {
	case s.closed:
		return fmt.Errorf("apply batch: %w", errClosed)
	case s.broken != nil:
		return fmt.Errorf("apply batch: store must be reopened: %w", s.broken)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("apply batch: %w", err)
	}
	start := time.Now()
	cur := s.st // only writers change s.st, and they hold applyMu
	d, kvs, err := cur.resolve(b, s.storedOwners)
	resolved := time.Now()
	if err != nil {
		return fmt.Errorf("apply batch: %w", err)
	}
	clockNanos := s.clock.newest.Load()
	if clockNanos != s.clock.persisted.Load() && clockNanos != 0 {
		kvs = append(kvs, putKV(keyClock, encodeTime(nil, time.Unix(0, clockNanos))))
	}
	// Prepare the new view outside the write lock: a big delta goes to a copy
	// that is swapped in, a small one is assigned in place.
	var next *state
	if d.size() >= s.swapMin {
		next = cur.clone()
		next.apply(d)
	}
	prepared := time.Now()
	publish := func() {
		s.mu.Lock()
		if next != nil {
			s.st = next
		} else {
			s.st.apply(d)
		}
		s.mu.Unlock()
		s.clock.persisted.Store(clockNanos)
	}

	if len(kvs) <= s.directLimit {
		err := s.commitDirect(kvs)
		if err == nil {
			publish()
			return nil
		}
		if !errors.Is(err, badger.ErrTxnTooBig) {
			return fmt.Errorf("apply batch: %w", err)
		}
	}
	if err := s.commitJournal(kvs, publish); err != nil {
		return fmt.Errorf("apply batch of %d operations: %w", len(kvs), err)
	}
	s.log.Debug("large batch applied", "operations", len(kvs), "swapped", next != nil,
		"resolve", resolved.Sub(start), "prepare", prepared.Sub(resolved), "write", time.Since(prepared))
	return nil
}

func (s *Store) hook(point string) error {
	if s.fault != nil {
		return s.fault(point)
	}
	return nil
}

// commitDirect writes a batch that fits one transaction.
func (s *Store) commitDirect(kvs []kv) error {
	if err := s.hook("direct"); err != nil {
		return err
	}
	err := s.db.Update(func(txn *badger.Txn) error {
		for _, op := range kvs {
			var err error
			if op.del {
				err = txn.Delete(op.key)
			} else {
				err = txn.Set(op.key, op.value)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.db.Sync(); err != nil {
		// Committed but maybe not durable; the view was not updated.
		s.broken = fmt.Errorf("sync: %w", err)
		return s.broken
	}
	return nil
}

// commitJournal writes a batch through the redo journal. publish runs once
// the batch is committed. An error after that point marks the store broken:
// the batch is committed (Open replays it) but not finished here.
func (s *Store) commitJournal(kvs []kv, publish func()) error {
	start := time.Now()
	chunks := encodeJournalChunks(kvs)
	chunkKVs := make([]kv, len(chunks))
	for i, c := range chunks {
		chunkKVs[i] = kv{key: journalChunkKey(uint32(i)), value: c}
	}
	// Before the commit point: a failure leaves chunks that Open discards.
	for i := range chunkKVs {
		if err := writeKVs(s.db, chunkKVs[i:i+1]); err != nil {
			return fmt.Errorf("write journal: %w", err)
		}
		if err := s.hook("journal"); err != nil {
			return err
		}
	}
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("sync journal: %w", err)
	}
	if err := s.hook("marker"); err != nil {
		return err
	}
	err := s.db.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte(keyJournalMark), encodeUint(nil, uint64(len(chunks))))
	})
	if err == nil {
		err = s.db.Sync()
	}
	if err != nil {
		// The marker may or may not be on disk: only a reopen can tell.
		s.broken = fmt.Errorf("journal commit: %w", err)
		return s.broken
	}
	committed := time.Now()
	// Committed.
	publish()
	if err := s.hook("committed"); err != nil {
		return err
	}
	if err := s.finishJournal(kvs); err != nil {
		s.broken = err
		return fmt.Errorf("batch committed, not finished (reopen the store to finish it): %w", err)
	}
	s.log.Debug("journal finished", "chunks", len(chunks), "commit", committed.Sub(start), "finish", time.Since(committed))
	return nil
}

// finishJournal writes a committed batch's operations to their keys and drops
// the journal.
func (s *Store) finishJournal(kvs []kv) error {
	step := s.finishStep
	for i := 0; i < len(kvs); i += step {
		if err := writeKVs(s.db, kvs[i:min(i+step, len(kvs))]); err != nil {
			return fmt.Errorf("write batch: %w", err)
		}
		if err := s.hook("applying"); err != nil {
			return err
		}
	}
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("sync batch: %w", err)
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(keyJournalMark)) }); err != nil {
		return fmt.Errorf("delete journal marker: %w", err)
	}
	if err := s.hook("cleanup"); err != nil {
		return err
	}
	return dropJournal(s.db, false)
}

// storedOwners reads the member of each stored grant key.
func (s *Store) storedOwners(keys []policy.GrantKey) (map[policy.GrantKey]string, error) {
	out := make(map[policy.GrantKey]string, len(keys))
	err := s.db.View(func(txn *badger.Txn) error {
		var kb []byte
		for _, k := range keys {
			kb = appendGrantKey(kb[:0], k)
			item, err := txn.Get(kb)
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := item.Value(func(v []byte) error {
				g, err := decodeGrant(k, v)
				out[k] = g.Member
				return err
			}); err != nil {
				return fmt.Errorf("grant %s: %w", k, err)
			}
		}
		return nil
	})
	return out, err
}
