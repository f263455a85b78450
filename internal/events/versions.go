package events

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
)

// versions hands out the Badger versions (timestamps) of the log's
// transactions. The log opens Badger in managed mode: with Badger's own
// oracle every transaction sends to its watermark goroutines (readTs,
// Discard, the commit), and the first send of a batch woke an idle thread
// with a futex; on the append path that was 12 % of the hub's CPU at 2,000
// requests/s (docs/performance.md). Here a write takes a mutex twice
// (uncontended: the committer is the only frequent writer) and a read once.
//
// Rules:
//   - Every write transaction gets its own commit version, one past the last
//     assigned. It reads at the version before it, so it sees every write
//     assigned before it (a write still in flight may be partly visible; the
//     log's writers touch disjoint keys except the outbox pointer, whose
//     writers hold Log.wmu).
//   - A read transaction reads at visible: the highest version at or below
//     which every write has finished. It sees whole batches only, never a
//     batch half inserted, so the uploader cannot see event n+1 before n.
//   - Badger may drop a key's older versions only at or below the discard
//     version: the smallest version an open read transaction reads at, or
//     visible when none is open. Deleted and overwritten values are thus
//     purged by compactions as with the default oracle.
type versions struct {
	db *badger.DB

	mu       sync.Mutex
	last     uint64         // highest commit version assigned
	inflight []uint64       // commit versions of unfinished writes, ascending
	readers  map[uint64]int // read versions of open read transactions
	discard  uint64         // last given to Badger's SetDiscardTs
	visible  atomic.Uint64
}

func newVersions(db *badger.DB) *versions {
	v := &versions{db: db, last: db.MaxVersion(), readers: make(map[uint64]int)}
	v.visible.Store(v.last)
	v.setDiscardLocked()
	return v
}

// beginWrite assigns the next commit version; the write reads at readTs.
// endWrite(commitTs) must follow, whether the write committed or not.
func (v *versions) beginWrite() (readTs, commitTs uint64) {
	v.mu.Lock()
	v.last++
	commitTs = v.last
	v.inflight = append(v.inflight, commitTs) // assigned in order: stays sorted
	v.mu.Unlock()
	return commitTs - 1, commitTs
}

// endWrite marks the write at commitTs finished.
func (v *versions) endWrite(commitTs uint64) {
	v.mu.Lock()
	if i, ok := slices.BinarySearch(v.inflight, commitTs); ok {
		v.inflight = slices.Delete(v.inflight, i, i+1)
	}
	vis := v.last
	if len(v.inflight) > 0 {
		vis = v.inflight[0] - 1
	}
	v.visible.Store(vis)
	v.setDiscardLocked()
	v.mu.Unlock()
}

// beginRead returns the version a read transaction reads at and keeps
// Badger from discarding what it sees until endRead.
func (v *versions) beginRead() uint64 {
	v.mu.Lock()
	ts := v.visible.Load()
	v.readers[ts]++
	v.mu.Unlock()
	return ts
}

func (v *versions) endRead(ts uint64) {
	v.mu.Lock()
	if v.readers[ts] <= 1 {
		delete(v.readers, ts)
	} else {
		v.readers[ts]--
	}
	v.setDiscardLocked()
	v.mu.Unlock()
}

func (v *versions) setDiscardLocked() {
	d := v.visible.Load()
	for ts := range v.readers { // few: the uploader, the status page
		d = min(d, ts)
	}
	v.discard = d
	v.db.SetDiscardTs(d)
}

// view runs fn in a read transaction at the visible version.
func (l *Log) view(fn func(txn *badger.Txn) error) error {
	ts := l.vers.beginRead()
	defer l.vers.endRead(ts)
	txn := l.db.NewTransactionAt(ts, false)
	defer txn.Discard()
	return fn(txn)
}

// update runs fn in a write transaction and commits it.
func (l *Log) update(fn func(txn *badger.Txn) error) error {
	_, err := l.updateVersion(fn)
	return err
}

// updateVersion is update, returning the transaction's commit version.
func (l *Log) updateVersion(fn func(txn *badger.Txn) error) (uint64, error) {
	readTs, commitTs := l.vers.beginWrite()
	defer l.vers.endWrite(commitTs)
	txn := l.db.NewTransactionAt(readTs, true)
	defer txn.Discard()
	if err := fn(txn); err != nil {
		return commitTs, err
	}
	return commitTs, txn.CommitAt(commitTs, nil)
}
