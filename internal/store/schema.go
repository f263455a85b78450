package store

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/dgraph-io/badger/v4"
)

// schemaVersion is the version of the key space and record formats this
// code writes. Open migrates older stores one step at a time and refuses
// newer ones.
//
// History:
//
//	0  no x/schema and no x/epoch key; records as in version 1 (stores
//	   written before the schema key existed)
//	1  x/schema and x/epoch present
const schemaVersion = 1

// ErrNewerSchema is returned by Open for a store written by a newer lockhub.
var ErrNewerSchema = errors.New("store schema is newer than this lockhub supports")

// migrationStep returns the function that migrates a store from version v to
// v+1 inside one transaction (which also records version v+1).
func migrationStep(v uint64) func(txn *badger.Txn) error {
	switch v {
	case 0:
		return migrate0to1
	}
	return nil
}

// migrate0to1 gives an unversioned store its epoch.
func migrate0to1(txn *badger.Txn) error {
	if _, err := txn.Get([]byte(keyEpoch)); err == nil {
		return nil
	} else if !errors.Is(err, badger.ErrKeyNotFound) {
		return err
	}
	e, err := newEpoch()
	if err != nil {
		return err
	}
	return txn.Set([]byte(keyEpoch), encodeString(nil, e))
}

// readSchema returns the stored version, and whether the store is empty
// (a new store, which has no version yet).
func readSchema(db *badger.DB) (version uint64, empty bool, err error) {
	err = db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keySchema))
		if errors.Is(err, badger.ErrKeyNotFound) {
			it := txn.NewIterator(badger.IteratorOptions{})
			defer it.Close()
			it.Rewind()
			empty = !it.Valid()
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			version, err = decodeUint(v)
			return err
		})
	})
	return version, empty, err
}

// migrate creates a new store's schema or brings an old one up to date. It
// returns the version the store had.
func migrate(db *badger.DB, log *slog.Logger) (uint64, error) {
	v, empty, err := readSchema(db)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if empty {
		e, err := newEpoch()
		if err != nil {
			return 0, err
		}
		err = db.Update(func(txn *badger.Txn) error {
			if err := txn.Set([]byte(keyEpoch), encodeString(nil, e)); err != nil {
				return err
			}
			return txn.Set([]byte(keySchema), encodeUint(nil, schemaVersion))
		})
		if err != nil {
			return 0, fmt.Errorf("create schema: %w", err)
		}
		return schemaVersion, db.Sync()
	}
	if v > schemaVersion {
		return v, fmt.Errorf("%w: store has version %d, this lockhub reads up to %d (upgrade lockhub or restore a backup)",
			ErrNewerSchema, v, schemaVersion)
	}
	from := v
	for ; v < schemaVersion; v++ {
		step := migrationStep(v)
		if step == nil {
			return from, fmt.Errorf("no migration from schema version %d", v)
		}
		err := db.Update(func(txn *badger.Txn) error {
			if err := step(txn); err != nil {
				return err
			}
			return txn.Set([]byte(keySchema), encodeUint(nil, v+1))
		})
		if err != nil {
			return from, fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
		log.Info("store schema migrated", "from", v, "to", v+1)
	}
	if from != schemaVersion {
		if err := db.Sync(); err != nil {
			return from, fmt.Errorf("sync migrated schema: %w", err)
		}
	}
	return from, nil
}
