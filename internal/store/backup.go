package store

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/dgraph-io/badger/v4"
)

// Backup writes a consistent snapshot of the whole store to w in Badger's
// backup stream format (a protobuf KV list stream, docs/backup.md). It runs
// while the store serves decisions and batches; a batch applied meanwhile is
// in the snapshot whole or not at all (a journal caught between its commit
// and its finish is in it too, and Load's Open finishes it).
func (s *Store) Backup(w io.Writer) error {
	if s.db.IsClosed() {
		return fmt.Errorf("backup: %w", errClosed)
	}
	if _, err := s.db.Backup(w, 0); err != nil {
		return fmt.Errorf("backup store: %w", err)
	}
	return nil
}

// ErrNotEmpty is returned by Load for a directory that already holds files.
var ErrNotEmpty = errors.New("directory is not empty")

// LoadResult is what Load did.
type LoadResult struct {
	OldEpoch string // the epoch recorded in the backup
	NewEpoch string // the restored store's new epoch
}

// Load restores a Backup stream into dir, which must be missing or empty,
// then opens the store (schema check and migration, journal recovery, a full
// load of every record: a stream that does not make a valid store fails
// here) and gives it a new epoch, so the restored hub's event sequence
// numbers never collide with the old one's. On error the caller should
// remove dir.
func Load(dir string, r io.Reader, logger *slog.Logger) (LoadResult, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return LoadResult{}, fmt.Errorf("load store: %w", err)
	case len(ents) > 0:
		return LoadResult{}, fmt.Errorf("load store into %s: %w", dir, ErrNotEmpty)
	}
	db, err := badger.Open(badgerOptions(dir, logger))
	if err != nil {
		return LoadResult{}, fmt.Errorf("load store: open %s: %w", dir, err)
	}
	if err := db.Load(r, 64); err != nil {
		db.Close()
		return LoadResult{}, fmt.Errorf("load store stream: %w", err)
	}
	if err := db.View(func(txn *badger.Txn) error {
		_, err := txn.Get([]byte(keyEpoch))
		return err
	}); err != nil {
		db.Close()
		return LoadResult{}, fmt.Errorf("load store: the stream holds no store (no epoch): %w", err)
	}
	if err := db.Close(); err != nil {
		return LoadResult{}, fmt.Errorf("load store: close: %w", err)
	}
	s, err := Open(Config{Dir: dir, Logger: logger})
	if err != nil {
		return LoadResult{}, fmt.Errorf("load store: the restored data is not a valid store: %w", err)
	}
	res := LoadResult{OldEpoch: s.Epoch()}
	res.NewEpoch, err = s.RenewEpoch()
	if err != nil {
		s.Close()
		return LoadResult{}, fmt.Errorf("load store: %w", err)
	}
	if err := s.Close(); err != nil {
		return LoadResult{}, fmt.Errorf("load store: close: %w", err)
	}
	return res, nil
}
