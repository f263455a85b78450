package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/lockhub/lockhub/internal/badgerlog"
)

// Defaults for zero Config fields.
const (
	DefaultFlushInterval   = 50 * time.Millisecond
	DefaultMaxOutboxEvents = 2_000_000
	DefaultDedupeWindow    = 7 * 24 * time.Hour
	DefaultMaxBatch        = 512
	DefaultGCInterval      = 10 * time.Minute
)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("event log closed")

// ErrNotFound is returned by Get for a sequence number that is not stored.
var ErrNotFound = errors.New("event not found")

// Config configures a Log. Zero values mean the documented default.
type Config struct {
	// Dir is the log's own Badger directory (not the grant store's), e.g.
	// <data_dir>/events. Required.
	Dir string
	// KeysDir holds the per-period keys of personal fields, outside Badger,
	// e.g. <data_dir>/events-keys. Required.
	KeysDir string
	// Epoch is the store epoch written into every event. Required.
	Epoch string
	// Durability: DurabilityProcess (default) or DurabilityDisk.
	Durability Durability
	// FlushInterval bounds how long a process-durable event waits for its
	// fsync. Zero means DefaultFlushInterval.
	FlushInterval time.Duration
	// MaxOutboxEvents caps the un-uploaded events; past it the oldest are
	// dropped and a gap record is written. Zero means DefaultMaxOutboxEvents.
	MaxOutboxEvents int
	// DedupeWindow is how long a door event's (lock, boot, lock seq) is
	// remembered. Zero means DefaultDedupeWindow.
	DedupeWindow time.Duration
	// MaxBatch caps the appends gathered into one Badger write. Zero means
	// DefaultMaxBatch.
	MaxBatch int
	// GCInterval is how often Run runs the value-log GC. Zero means
	// DefaultGCInterval.
	GCInterval time.Duration
	// StageDir, with DurabilityProcess, is a directory on a memory
	// filesystem (tmpfs) for the log's stage: appends are committed to a ring
	// mapped from a file there and applied to Badger in the background, so
	// an append never waits for the disk (stage.go, doc.go). Empty means no
	// stage: appends write Badger directly. With DurabilityDisk no stage is
	// made, but one left there by an earlier run is recovered.
	StageDir string
	// StageOptional: when a new stage cannot be made (the memory
	// filesystem is full or missing), log a warning and write Badger
	// directly instead of failing Open. A stage left by an earlier run is
	// recovered either way.
	StageOptional bool
	// StageSize is the stage ring's size in bytes (1 MiB to 4 GiB, rounded
	// down to whole 4 KiB pages); when it is full, appends wait for the
	// background writes. Zero means DefaultStageSize.
	StageSize int
	// Logger receives state changes and Badger warnings; nil discards them.
	Logger *slog.Logger
	// Now is the hub clock for ingest times and key periods; nil means
	// time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() error {
	switch {
	case c.Dir == "":
		return errors.New("events config: dir is required")
	case c.KeysDir == "":
		return errors.New("events config: keys_dir is required")
	case c.Epoch == "" || len(c.Epoch) > 64:
		return errors.New("events config: epoch must be 1 to 64 bytes")
	case c.Durability > DurabilityDisk:
		return fmt.Errorf("events config: unknown durability %d", c.Durability)
	case c.FlushInterval < 0 || c.MaxOutboxEvents < 0 || c.DedupeWindow < 0 || c.MaxBatch < 0 || c.GCInterval < 0:
		return errors.New("events config: negative limit")
	case c.StageSize != 0 && (c.StageSize < minStageSize || uint64(c.StageSize) > maxStageSize):
		return fmt.Errorf("events config: stage size %d: want 1 MiB to 4 GiB", c.StageSize)
	case c.StageDir != "" && c.Durability == DurabilityProcess && !stageSupported:
		return errors.New("events config: a stage is not supported on this system")
	}
	if c.StageSize == 0 {
		c.StageSize = DefaultStageSize
	}
	c.StageSize &^= stageHeaderSize - 1 // whole pages: records stay 8-byte aligned
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.MaxOutboxEvents == 0 {
		c.MaxOutboxEvents = DefaultMaxOutboxEvents
	}
	if c.DedupeWindow == 0 {
		c.DedupeWindow = DefaultDedupeWindow
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.GCInterval == 0 {
		c.GCInterval = DefaultGCInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// eventValueThreshold: with process durability, values of this size and
// more (event records, and the uploader's state; not the door index, the
// outbox pointer or the stage marker, of 8 to 24 bytes) go to Badger's
// value log, and the LSM tree holds only keys and value pointers.
// An event log is append-only, and in the tree its records were what
// memtable flushes and compactions rewrote: each table built cost a 3 MiB
// index builder and twice the table's size in buffers, all on the Go heap,
// and those bursts (about 100 MB within a second) set off the collections
// that broke the throughput search's steps (docs/performance.md). In the
// value log a record is written once. BenchmarkAppendProcess, 600,000
// appends: 810 → 472 MB allocated, 2.5 → 2.1 µs per append.
//
// With disk durability the records stay in the tree: Badger syncs the
// value log and the memtable's WAL separately, and two fsyncs per group
// commit would double the cost of every answer.
const eventValueThreshold = 32

func valueThreshold(d Durability) int64 {
	if d == DurabilityDisk {
		return badger.DefaultOptions("").ValueThreshold
	}
	return eventValueThreshold
}

// Log is the hub's durable event log: the outbox the uploader drains and
// the local audit copy. It is safe for concurrent use.
type Log struct {
	cfg  Config
	log  *slog.Logger
	db   *badger.DB
	vers *versions
	keys *keyring
	// stage is the process-durability ring (stage.go); nil without one.
	stage *stage

	mu     sync.RWMutex // guards closed against sends on reqs
	closed bool
	reqs   chan *request
	pool   sync.Pool
	// lead holds the committer token while no one commits; its holder
	// owns cstate, next and the open transaction.
	lead   chan struct{}
	cstate *committer

	quit        chan struct{}
	rescuerDone chan struct{}
	syncerDone  chan struct{}
	closeOnce   sync.Once
	closeErr    error

	// wmu serialises the writes of the outbox pointer (Ack and the cap,
	// which runs on the committer).
	wmu sync.Mutex

	slowLogged time.Time // last "sync slow" log; owned by the syncer
	// markWrite is the version of the last m/synced write (recover, then
	// the syncer, which owns it once running).
	markWrite uint64

	next    uint64 // next seq; owned by the holder of lead
	lastSeq atomic.Uint64
	acked   atomic.Uint64
	dirty   atomic.Bool

	c counters
}

type counters struct {
	appended, duplicates, dropped, gaps, unreadable, batches, writes, syncs, syncErrors, decryptFailures atomic.Uint64
	syncNanos, syncMaxNanos, slowSyncs                                                                   atomic.Uint64
}

// Stats are the log's counters since Open and its outbox position.
type Stats struct {
	LastSeq   uint64 // highest seq assigned
	AckedUpto uint64 // outbox pointer
	Pending   int    // events in the outbox
	Appended  uint64 // events stored
	// Duplicates counts door events recognised as already stored.
	Duplicates uint64
	// Dropped counts events dropped by the outbox cap, Unreadable those
	// found unreadable at Open (Log.dropUnreadable); Gaps the gap records
	// written for them.
	Dropped, Unreadable, Gaps uint64
	// Batches counts committer rounds, Writes Badger transactions (with
	// DurabilityDisk each is one fsync), Syncs the background syncs
	// (DurabilityProcess).
	Batches, Writes, Syncs, SyncErrors uint64
	// SyncTime is the time background syncs took, SyncMax the longest one,
	// SlowSyncs those of at least SlowSync. Without a stage, appends wait
	// while a sync runs.
	SyncTime, SyncMax time.Duration
	SlowSyncs         uint64
	// Staged says the log has a stage. StagedBatches is the last batch put
	// in it, StageApplied the last applied to Badger; StageWaits counts the
	// times an append waited for room in it.
	Staged                      bool
	StagedBatches, StageApplied uint64
	StageWaits                  uint64
	// StageBytes is the ring space held by records not yet in Badger, of
	// StageSize; StageFailing says the mover's last write to Badger failed
	// (it retries; the records stay in the stage).
	StageBytes, StageSize uint64
	StageFailing          bool
	// DecryptFailures counts personal sections that did not open with an
	// existing key (read back as scrubbed).
	DecryptFailures uint64
}

// Open opens (or creates) the log, recovers the next sequence number from
// the highest stored key, and starts the rescue loop and, for process
// durability, the background syncer. Close releases it.
func Open(cfg Config) (*Log, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	kr, err := newKeyring(cfg.KeysDir)
	if err != nil {
		return nil, err
	}
	opts := badger.DefaultOptions(cfg.Dir).
		WithMemTableSize(8 << 20).WithNumMemtables(2).
		WithNumLevelZeroTables(2).WithNumLevelZeroTablesStall(4).
		// No compression: the personal fields are sealed (random-looking) and
		// the rest is small; compressing every table built from a memtable
		// cost CPU on the hub's busiest path for little disk. Without
		// compression or encryption Badger reads blocks straight from the
		// mmapped tables, so a block cache would only cost memory.
		WithCompression(options.None).WithBlockCacheSize(0).WithIndexCacheSize(4 << 20).
		WithValueLogFileSize(16 << 20).WithNumCompactors(2).WithBaseTableSize(1 << 20).
		WithValueThreshold(valueThreshold(cfg.Durability)).
		WithDetectConflicts(false). // the committer is the only writer of e/ and d/
		WithMetricsEnabled(false).
		WithSyncWrites(cfg.Durability == DurabilityDisk).
		WithLogger(badgerlog.New(cfg.Logger.With("component", "events_badger")))
	// Managed mode: the log hands out the versions itself (versions.go).
	db, err := badger.OpenManaged(opts)
	if err != nil {
		return nil, fmt.Errorf("open events db: %w", err)
	}
	l := &Log{
		cfg:         cfg,
		log:         cfg.Logger.With("component", "events"),
		db:          db,
		vers:        newVersions(db),
		keys:        kr,
		reqs:        make(chan *request, cfg.MaxBatch),
		lead:        make(chan struct{}, 1),
		cstate:      &committer{batch: make([]*request, 0, cfg.MaxBatch)},
		quit:        make(chan struct{}),
		rescuerDone: make(chan struct{}),
		syncerDone:  make(chan struct{}),
	}
	l.pool.New = func() any { return &request{done: make(chan struct{}, 1)} }
	if cfg.StageDir != "" {
		if err := l.openStage(cfg.Durability == DurabilityProcess); err != nil {
			return nil, errors.Join(err, db.Close())
		}
	}
	if err := l.recover(); err != nil {
		return nil, errors.Join(err, l.closeStage(), db.Close())
	}
	l.lead <- struct{}{}
	if l.stage != nil {
		go l.moveLoop()
	}
	go l.rescueLoop()
	if cfg.Durability == DurabilityProcess {
		go l.syncLoop()
	} else {
		close(l.syncerDone)
	}
	stageAt := "none"
	if l.stage != nil {
		stageAt = l.stage.path
	}
	l.log.Info("event log opened", "dir", cfg.Dir, "durability", cfg.Durability.String(),
		"stage", stageAt, "last_seq", l.lastSeq.Load(), "acked_upto", l.acked.Load())
	return l, nil
}

// recover reads the outbox pointer and finds the next seq: one past the
// highest of the last stored event and the outbox pointer. Records written
// after the synced mark (m/synced) are read back, and those that cannot be
// read are dropped with a gap record (dropUnreadable); then the log syncs
// and sets the mark past everything it holds.
func (l *Log) recover() error {
	var acked, last, mark uint64
	var lost []uint64 // unreadable records, newest first
	err := l.view(func(txn *badger.Txn) error {
		var err error
		if acked, err = readU64(txn, []byte(keyAcked)); err != nil {
			return fmt.Errorf("read outbox pointer: %w", err)
		}
		if mark, err = readU64(txn, []byte(keySynced)); err != nil {
			return fmt.Errorf("read synced mark: %w", err)
		}
		last = acked
		// Values are read lazily, so a value that is gone shows as an
		// error of that item, not of the iteration.
		it := txn.NewIterator(badger.IteratorOptions{Reverse: true, Prefix: []byte(prefixEvent)})
		defer it.Close()
		for it.Seek(eventKey(nil, ^uint64(0))); it.Valid(); it.Next() {
			item := it.Item()
			s, ok := seqOfKey(item.Key())
			if !ok {
				break
			}
			last = max(last, s)
			// Records are written in seq order with rising versions: all
			// older ones are at or below the mark too.
			if item.Version() <= mark {
				break
			}
			if !readable(item) {
				lost = append(lost, s)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	l.next = last + 1
	l.lastSeq.Store(last)
	l.acked.Store(acked)
	if err := l.checkUploadState(mark); err != nil {
		return err
	}
	if len(lost) > 0 {
		if err := l.dropUnreadable(lost); err != nil {
			return err
		}
	}
	if err := l.db.Sync(); err != nil {
		return fmt.Errorf("sync after recovery: %w", err)
	}
	mark = l.vers.visible.Load()
	if l.cfg.Durability == DurabilityDisk {
		// Every value written from now on is synced before its commit
		// returns: nothing after this point needs reading back.
		mark = math.MaxUint64
	}
	return l.setSyncedMark(mark)
}

// setSyncedMark stores m/synced = mark: every e/ record and uploader state
// of version at or below it has its value on disk (see dropUnreadable).
// The mark's own write reaches the disk with the next sync that new
// records cause, or Close's; it does not ask for one (an idle log would
// then sync once more for nothing). Until then an older mark stands, and an
// Open after a crash reads back a little more.
func (l *Log) setSyncedMark(mark uint64) error {
	v, err := l.updateVersion(func(txn *badger.Txn) error { return txn.Set([]byte(keySynced), u64(mark)) })
	if err != nil {
		return fmt.Errorf("write synced mark: %w", err)
	}
	l.markWrite = v
	return nil
}

// readable says whether an e/ item's value can be read and is a record.
func readable(item *badger.Item) bool {
	ok := false
	err := item.Value(func(v []byte) error {
		_, ok = recordIngest(v)
		return nil
	})
	return err == nil && ok
}

// dropUnreadable deletes records that cannot be read (lost, in any order)
// and, for those not yet uploaded, writes a gap record (GapUnreadable), so
// the receiver sees a declared loss.
//
// With process durability the records live in Badger's value log
// (eventValueThreshold), which Badger writes before the memtable's WAL and
// syncs after it, and the kernel may write either's pages back first.
// After a power loss or an OS crash the WAL may thus hold pointers to
// value-log data that never reached the disk: such a value reads as an
// error or as zeros. Only records written after the last sync can be hit,
// which is why the syncer keeps m/synced (the version below which every
// value is on disk) and recover reads back only the records above it.
// They need not be the newest few in seq order: Badger writes a
// transaction's entries to the value log in map order. Their events were
// acknowledged but not yet synced, which is what process durability allows
// a power loss to take (docs/store.md); a kill of the process alone loses
// nothing, as the pages are in the kernel's cache.
func (l *Log) dropUnreadable(lost []uint64) error {
	slices.Sort(lost)
	acked := l.acked.Load()
	// One gap record per run of consecutive lost seqs not yet uploaded.
	now := l.cfg.Now().UTC()
	var gaps []Event
	for _, s := range lost {
		switch {
		case s <= acked:
		case len(gaps) > 0 && gaps[len(gaps)-1].GapTo == s-1:
			gaps[len(gaps)-1].GapTo = s
		default:
			gaps = append(gaps, Event{Epoch: l.cfg.Epoch, Time: now, Ingest: now, Type: TypeGap,
				GapFrom: s, GapTo: s, GapReason: GapUnreadable})
		}
	}
	keys := make([][]byte, 0, len(lost))
	for _, s := range lost {
		keys = append(keys, eventKey(nil, s))
	}
	// The gap records and the deletes go in one transaction when they fit
	// (a power cut loses at most the unsynced tail, so they nearly always
	// do): a crash between the two would leave the records to be found
	// again at the next Open and declared lost a second time.
	if len(gaps)+len(keys) <= deleteChunk {
		err := l.update(func(txn *badger.Txn) error {
			if err := l.setGaps(txn, gaps); err != nil {
				return err
			}
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		switch {
		case err == nil:
			l.gapsWritten(len(gaps))
			keys = nil
		case !errors.Is(err, badger.ErrTxnTooBig):
			return fmt.Errorf("write gap records for unreadable events: %w", err)
		}
	}
	if keys != nil {
		// Too many for one transaction: the gaps first, then the deletes
		// (a crash between declares the drop twice; it never hides it).
		for chunk := range slices.Chunk(gaps, deleteChunk) {
			if err := l.update(func(txn *badger.Txn) error { return l.setGaps(txn, chunk) }); err != nil {
				return fmt.Errorf("write gap records for unreadable events: %w", err)
			}
			l.gapsWritten(len(chunk))
		}
		if err := l.deleteKeys(keys); err != nil {
			return fmt.Errorf("delete unreadable events: %w", err)
		}
	}
	l.dirty.Store(true)
	l.c.unreadable.Add(uint64(len(lost)))
	l.log.Warn("event log: events unreadable after a crash; dropped", "from_seq", lost[0], "to_seq", lost[len(lost)-1],
		"count", len(lost), "gap_records", len(gaps))
	return nil
}

// setGaps writes gap records at the next seqs (l.next on): gaps[i] gets
// seq l.next+i. gapsWritten advances l.next once the write committed.
func (l *Log) setGaps(txn *badger.Txn, gaps []Event) error {
	for i := range gaps {
		gaps[i].Seq = l.next + uint64(i)
		if err := txn.Set(eventKey(nil, gaps[i].Seq), appendRecord(nil, &gaps[i], sealed{})); err != nil {
			return err
		}
	}
	return nil
}

func (l *Log) gapsWritten(n int) {
	if n == 0 {
		return
	}
	l.next += uint64(n)
	l.lastSeq.Store(l.next - 1)
	l.c.gaps.Add(uint64(n))
}

// Run runs the value-log GC until ctx ends. The committer and the syncer
// run from Open to Close whether or not Run is called, so the durability
// promise never depends on it.
func (l *Log) Run(ctx context.Context) error {
	t := time.NewTicker(l.cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.quit:
			return nil
		case <-t.C:
			collected := false
			for l.db.RunValueLogGC(0.5) == nil {
				collected = true
			}
			// A collection rewrites a file's live records to the value
			// log's head and deletes the file; until the next sync a power
			// cut could lose the rewritten records, which are below the
			// synced mark and would not be read back at Open. Sync now
			// rather than when the next append comes (Badger deletes the
			// old file before it returns, so a window of the collection's
			// own length remains).
			if collected {
				if err := l.db.Sync(); err != nil {
					l.log.Warn("event log: sync after value-log collection", "err", err)
					l.dirty.Store(true)
				}
			}
		}
	}
}

// syncLoop puts process-durable writes on disk within FlushInterval.
func (l *Log) syncLoop() {
	defer close(l.syncerDone)
	every := l.cfg.FlushInterval
	if l.stage != nil {
		// An append waits up to the mover's delay before it is in Badger:
		// sync sooner by as much, so it is on disk within FlushInterval.
		every -= l.stage.delay
	}
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-l.quit:
			return
		case <-t.C:
		}
		if !l.dirty.Swap(false) {
			continue
		}
		// Without a stage, hold the commit token while syncing: the WAL is
		// memory-mapped, and a commit writing into pages that msync is
		// writing back stalls on page faults for up to hundreds of
		// milliseconds (measured: docs/performance.md). Appends that arrive
		// meanwhile queue and are committed together right after, as with
		// disk durability. With a stage only the mover's writes wait.
		if l.stage == nil {
			select {
			case <-l.lead:
			case <-l.quit:
				return
			}
		}
		start := time.Now()
		// Every write at or below visible has finished, so this sync puts
		// its values on disk.
		covered := l.vers.visible.Load()
		err := l.db.Sync()
		held := time.Since(start)
		if l.stage == nil {
			l.lead <- struct{}{}
		}
		l.noteSync(held)
		if err != nil {
			l.dirty.Store(true)
			l.c.syncErrors.Add(1)
			if !failing {
				l.log.Error("event log sync failing", "err", err)
				failing = true
			}
			continue
		}
		l.c.syncs.Add(1)
		// Raise the synced mark unless the mark's own write is all that
		// happened since (else an idle log would sync forever).
		if covered > l.markWrite {
			if err := l.setSyncedMark(covered); err != nil {
				l.log.Warn("event log: synced mark not written", "err", err)
			}
		}
		if failing {
			l.log.Info("event log sync recovered")
			failing = false
		}
	}
}

// SlowSync is how long a background sync may take before it is counted
// (Stats.SlowSyncs) and logged.
const SlowSync = 50 * time.Millisecond

// noteSync accounts one background sync that took d, and logs slow ones at
// most once a minute (with how many there were). Only the syncer calls it.
func (l *Log) noteSync(d time.Duration) {
	l.c.syncNanos.Add(uint64(d))
	if uint64(d) > l.c.syncMaxNanos.Load() { // only the syncer writes it
		l.c.syncMaxNanos.Store(uint64(d))
	}
	if d < SlowSync {
		return
	}
	n := l.c.slowSyncs.Add(1)
	now := time.Now()
	if now.Sub(l.slowLogged) < time.Minute {
		return
	}
	l.slowLogged = now
	msg := "event log sync slow: appends waited for the disk"
	if l.stage != nil {
		msg = "event log sync slow: the stage held the appends meanwhile"
	}
	l.log.Warn(msg, "held", d.Round(time.Millisecond), "slow_syncs", n, "over", SlowSync)
}

// Close stops accepting appends, commits those already queued, syncs and
// closes the database. It is safe to call more than once.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		// No append can queue now. Take the token for good and commit what
		// is queued; appenders still waiting are answered by it.
		<-l.lead
		for len(l.reqs) > 0 {
			l.commitQueued()
		}
		var aerr error
		if st := l.stage; st != nil {
			// The mover applies what is staged, then stops.
			close(st.stop)
			<-st.done
			if st.applied.Load() < st.staged.Load() {
				aerr = fmt.Errorf("stage: batches %d to %d not applied (kept in %s for the next start)",
					st.applied.Load()+1, st.staged.Load(), st.path)
			}
		}
		close(l.quit)
		<-l.rescuerDone
		<-l.syncerDone
		serr := l.db.Sync()
		cerr := l.db.Close()
		if aerr == nil && serr == nil && cerr == nil {
			serr = l.closeStage() // everything is in Badger, on disk
		} else if l.stage != nil {
			l.stage.unmap()
		}
		if err := errors.Join(aerr, serr, cerr); err != nil {
			l.closeErr = fmt.Errorf("close event log: %w", err)
		}
	})
	return l.closeErr
}

// Stats returns the log's counters.
func (l *Log) Stats() Stats {
	last, acked := l.lastSeq.Load(), l.acked.Load()
	s := Stats{
		LastSeq:         last,
		AckedUpto:       acked,
		Pending:         int(last - min(acked, last)),
		Appended:        l.c.appended.Load(),
		Duplicates:      l.c.duplicates.Load(),
		Dropped:         l.c.dropped.Load(),
		Gaps:            l.c.gaps.Load(),
		Unreadable:      l.c.unreadable.Load(),
		Batches:         l.c.batches.Load(),
		Writes:          l.c.writes.Load(),
		Syncs:           l.c.syncs.Load(),
		SyncErrors:      l.c.syncErrors.Load(),
		SyncTime:        time.Duration(l.c.syncNanos.Load()),
		SyncMax:         time.Duration(l.c.syncMaxNanos.Load()),
		SlowSyncs:       l.c.slowSyncs.Load(),
		Staged:          l.stage != nil,
		DecryptFailures: l.c.decryptFailures.Load(),
	}
	if st := l.stage; st != nil {
		s.StagedBatches, s.StageApplied, s.StageWaits = st.staged.Load(), st.applied.Load(), st.waits.Load()
		pub, tail := st.published.Load(), st.tail.Load()
		s.StageBytes, s.StageSize, s.StageFailing = pub-min(tail, pub), st.size, st.failing.Load()
	}
	return s
}

// closeStage removes the stage file, if the log has one; its contents must
// be in Badger.
func (l *Log) closeStage() error {
	if l.stage == nil {
		return nil
	}
	return l.stage.remove()
}

// DestroyKeysBefore deletes domain's personal-field keys of every UTC day
// that ends at or before cutoff, so the personal fields of those days' events
// read back scrubbed. The current UTC day's key is never destroyed (cutoff
// is clamped to its start). It returns the number of keys deleted.
func (l *Log) DestroyKeysBefore(domain string, cutoff time.Time) (int, error) {
	if today := dayStart(dayOf(l.cfg.Now())); cutoff.After(today) {
		cutoff = today
	}
	n, err := l.keys.destroyBefore(domain, cutoff)
	if n > 0 {
		l.log.Info("personal-field keys destroyed", "domain", domain, "count", n,
			"before", cutoff.UTC().Format(time.DateOnly))
	}
	if err != nil {
		return n, fmt.Errorf("destroy keys: %w", err)
	}
	return n, nil
}
