package events

// The uploader's bookkeeping (its in-flight batch and parked batches) is an
// opaque record kept in the log's own database under m/upload, so that moving
// the outbox pointer and changing that record happen in one transaction: a
// crash can never leave an acknowledged batch recorded as in flight, or a
// parked batch both parked and still in the outbox.

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

const keyUploadState = "m/upload"

// MaxUploadState is the largest uploader state record SaveUploadState
// accepts, in bytes.
const MaxUploadState = 1 << 20

// uploadStateItem returns the uploader's state record's item, or nil when
// there is none.
func uploadStateItem(txn *badger.Txn) (*badger.Item, error) {
	item, err := txn.Get([]byte(keyUploadState))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	return item, err
}

// UploadState returns the uploader's state record as last saved, or nil
// when there is none. The log does not interpret it.
func (l *Log) UploadState() ([]byte, error) {
	var out []byte
	err := l.view(func(txn *badger.Txn) error {
		item, err := uploadStateItem(txn)
		if item == nil || err != nil {
			return err
		}
		out, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read upload state: %w", err)
	}
	return out, nil
}

// SaveUploadState replaces the uploader's state record (an empty state
// deletes it) and, when ackUpto > 0, moves the outbox pointer to ackUpto in
// the same transaction, as Ack does (never backwards, never past the last
// seq).
func (l *Log) SaveUploadState(state []byte, ackUpto uint64) error {
	if len(state) > MaxUploadState {
		return fmt.Errorf("%w: upload state of %d bytes", ErrTooLarge, len(state))
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	upto := min(ackUpto, l.lastSeq.Load())
	move := upto > l.acked.Load()
	err := l.update(func(txn *badger.Txn) error {
		var err error
		if len(state) == 0 {
			err = txn.Delete([]byte(keyUploadState))
		} else {
			err = txn.Set([]byte(keyUploadState), state)
		}
		if err == nil && move {
			err = txn.Set([]byte(keyAcked), u64(upto))
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("save upload state: %w", err)
	}
	if move {
		l.acked.Store(upto)
	}
	l.dirty.Store(true)
	return nil
}

// checkUploadState deletes an uploader state record written after the
// synced mark whose value cannot be read (lost with the value log's
// unsynced end, as dropUnreadable explains), so the uploader starts
// without it, as it does with a record it cannot decode.
func (l *Log) checkUploadState(mark uint64) error {
	var lost bool
	err := l.view(func(txn *badger.Txn) error {
		item, err := uploadStateItem(txn)
		if item == nil || err != nil {
			return err
		}
		lost = item.Version() > mark && item.Value(func([]byte) error { return nil }) != nil
		return nil
	})
	if err != nil || !lost {
		return err
	}
	l.log.Warn("event log: uploader state unreadable after a crash; the uploader starts without it")
	return l.update(func(txn *badger.Txn) error { return txn.Delete([]byte(keyUploadState)) })
}
