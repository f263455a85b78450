package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/lockhub/lockhub/policy"

	"github.com/lockhub/lockhub/internal/badgerlog"
)

// Config configures a Store. Zero values mean the defaults given per field.
type Config struct {
	// Dir is the Badger directory. Required. Badger locks it: one process
	// at a time.
	Dir string
	// Logger receives the store's own and Badger's warnings and errors. Nil
	// discards them.
	Logger *slog.Logger
	// ClockTolerance is how far the clock may run behind the clock mark.
	// Zero means policy.DefaultClockTolerance.
	ClockTolerance time.Duration
	// GCInterval is how often Run collects the value log. Zero means 10
	// minutes.
	GCInterval time.Duration
	// ClockPersistInterval is how often Run writes a raised clock mark.
	// Zero means 10 seconds.
	ClockPersistInterval time.Duration
}

// Validate reports a config Open cannot use.
func (c *Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("store.dir: required"))
	}
	if c.ClockTolerance < 0 {
		errs = append(errs, errors.New("store.clock_tolerance: must not be negative"))
	}
	if c.GCInterval < 0 {
		errs = append(errs, errors.New("store.gc_interval: must not be negative"))
	}
	if c.ClockPersistInterval < 0 {
		errs = append(errs, errors.New("store.clock_persist_interval: must not be negative"))
	}
	return errors.Join(errs...)
}

// Store is lockhub's Badger-backed cache of domains, locks, accesses,
// members, credential digests, grants, sync cursors and lock state, with the
// in-memory view that decisions read. All methods are safe for concurrent
// use.
type Store struct {
	db  *badger.DB
	log *slog.Logger
	cfg Config

	// mu guards st: readers hold it for one whole decision; Apply holds it
	// for writing only to assign prepared values or swap st.
	mu sync.RWMutex
	st *state

	// applyMu serialises writers (Apply, clock and epoch writes).
	applyMu sync.Mutex
	broken  error // set when a committed batch could not be finished
	closed  bool
	epoch   atomic.Pointer[string]
	clock   *clockMark

	// Test hooks (set by internal tests only).
	fault       func(point string) error // fails Apply at a named point
	directLimit int                      // batches up to this many ops skip the journal; <0: never
	swapMin     int                      // deltas at least this large are applied to a copy and swapped
	finishStep  int                      // operations per WriteBatch when finishing a journal
}

const (
	defaultGCInterval    = 10 * time.Minute
	defaultClockInterval = 10 * time.Second
	defaultDirectLimit   = 2000
	defaultSwapMin       = 4096
	defaultFinishStep    = 20000
)

// badgerOptions is the small-box profile (docs/libs.md §4).
func badgerOptions(dir string, log *slog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(4).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(4 << 20).
		WithValueLogFileSize(16 << 20).
		WithNumCompactors(2).
		WithBaseTableSize(1 << 20).
		WithValueThreshold(64 << 10). // journal chunks (256 KiB) go to the value log, records stay in the LSM
		// Every commit is fsynced. Apply also calls Sync at its commit points,
		// but Sync covers only the active memtable WAL and value log file:
		// writes in a memtable or value log file rotated away before that
		// would not be durable without SyncWrites.
		WithSyncWrites(true).
		// Not WithLoggingLevel: it replaces the logger with Badger's own,
		// which writes to stderr past slog. badgerlog drops Info and
		// Debug itself.
		WithLogger(badgerlog.New(log.With("component", "badger")))
}

// Open opens (or creates) the store in cfg.Dir: it checks and migrates the
// schema, finishes or discards an interrupted batch, and loads the view.
func Open(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "store")
	if cfg.GCInterval == 0 {
		cfg.GCInterval = defaultGCInterval
	}
	if cfg.ClockPersistInterval == 0 {
		cfg.ClockPersistInterval = defaultClockInterval
	}
	db, err := badger.Open(badgerOptions(cfg.Dir, log))
	if err != nil {
		return nil, fmt.Errorf("open store %s (is another lockhub using it?): %w", cfg.Dir, err)
	}
	s := &Store{db: db, log: log, cfg: cfg, clock: &clockMark{tolerance: cfg.ClockTolerance},
		directLimit: defaultDirectLimit, swapMin: defaultSwapMin, finishStep: defaultFinishStep}
	if err := s.open(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", cfg.Dir, err)
	}
	return s, nil
}

func (s *Store) open() error {
	from, err := migrate(s.db, s.log)
	if err != nil {
		return err
	}
	if n, err := recoverJournal(s.db); err != nil {
		return err
	} else if n > 0 {
		s.log.Warn("finished a batch interrupted after its commit", "operations", n)
	}
	st, epoch, err := load(s.db, s.clock)
	if err != nil {
		return err
	}
	s.st = st
	s.epoch.Store(&epoch)
	s.log.Info("store opened", "schema", schemaVersion, "migrated_from", from,
		"members", len(st.members), "grants", st.nGrants, "epoch", epoch)
	return nil
}

// Close writes the clock mark and closes Badger. Decisions keep working on
// the last view; Apply fails after Close.
func (s *Store) Close() error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.persistClockLocked(false)
	if cerr := s.db.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close badger: %w", cerr))
	}
	return err
}

// Run collects Badger's value log and persists a raised clock mark on
// tickers until ctx ends; it returns nil then.
func (s *Store) Run(ctx context.Context) error {
	gc := time.NewTicker(s.cfg.GCInterval)
	defer gc.Stop()
	clk := time.NewTicker(s.cfg.ClockPersistInterval)
	defer clk.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-gc.C:
			s.runGC(ctx)
		case <-clk.C:
			s.applyMu.Lock()
			if err := s.persistClockLocked(false); err != nil {
				s.log.Warn("persist clock mark", "err", err)
			}
			s.applyMu.Unlock()
		}
	}
}

func (s *Store) runGC(ctx context.Context) {
	for n := 0; ctx.Err() == nil; n++ {
		err := s.db.RunValueLogGC(0.5)
		if err == nil {
			continue
		}
		if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
			s.log.Warn("value log gc", "err", err)
		} else if n > 0 {
			s.log.Debug("value log gc", "rewritten_files", n)
		}
		return
	}
}

// persistClockLocked writes the clock mark if it rose since the last write.
// The caller holds applyMu.
func (s *Store) persistClockLocked(sync bool) error {
	if s.closed && s.db.IsClosed() {
		return nil
	}
	n := s.clock.newest.Load()
	if n == s.clock.persisted.Load() {
		return nil
	}
	v := encodeTime(nil, time.Unix(0, n))
	if n == 0 {
		v = encodeTime(nil, time.Time{})
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(keyClock), v) }); err != nil {
		return fmt.Errorf("write clock mark: %w", err)
	}
	if sync {
		if err := s.db.Sync(); err != nil {
			return fmt.Errorf("sync clock mark: %w", err)
		}
	}
	s.clock.persisted.Store(n)
	return nil
}

// NoteDecisionTime raises the clock mark to t if t is newer. It is cheap (an
// atomic maximum); the mark reaches the disk on the next Apply, on Run's
// ticker and on Close. Decide does not call it: the caller notes the times
// of real decisions only (not of explainer questions about other times).
func (s *Store) NoteDecisionTime(t time.Time) { s.clock.note(t) }

// ClockMark returns the newest decision time recorded and the tolerance.
func (s *Store) ClockMark() policy.ClockMark { return s.clock.mark() }

// ResetClockMark sets the clock mark to t (zero clears it), for an admin who
// fixed the box's clock, and writes it to disk at once.
func (s *Store) ResetClockMark(t time.Time) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if s.closed {
		return errClosed
	}
	var n int64
	if !t.IsZero() {
		n = t.UnixNano()
	}
	s.clock.newest.Store(n)
	s.clock.persisted.Store(-1) // force the write
	return s.persistClockLocked(true)
}

// Epoch returns the store epoch: random, made when the store was created,
// replaced by RenewEpoch after a restore.
func (s *Store) Epoch() string { return *s.epoch.Load() }

// RenewEpoch gives the store a new random epoch (after a restore, so that the
// restored hub's sequence numbers never collide with the old box's).
func (s *Store) RenewEpoch() (string, error) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if s.closed {
		return "", errClosed
	}
	e, err := newEpoch()
	if err != nil {
		return "", err
	}
	if err := s.db.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte(keyEpoch), encodeString(nil, e))
	}); err != nil {
		return "", fmt.Errorf("write epoch: %w", err)
	}
	if err := s.db.Sync(); err != nil {
		return "", fmt.Errorf("sync epoch: %w", err)
	}
	s.epoch.Store(&e)
	return e, nil
}

func newEpoch() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make epoch: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

var errClosed = errors.New("store is closed")
