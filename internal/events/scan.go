package events

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Scan returns up to max stored events with seq > afterSeq, in seq order,
// whether or not the outbox has acknowledged them (Peek starts at the
// outbox pointer; Scan reads the audit copy too). A consumer with its own
// persisted position, such as the Nexudus check-in queue, reads with it.
// Events pruned by PruneBefore are skipped.
func (l *Log) Scan(afterSeq uint64, max int) ([]Event, error) {
	l.settle() // see what Append acknowledged (stage_log.go)
	if max <= 0 {
		return nil, nil
	}
	var out []Event
	err := l.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{
			PrefetchValues: true, PrefetchSize: min(max, 256), Prefix: []byte(prefixEvent),
		})
		defer it.Close()
		for it.Seek(eventKey(nil, afterSeq+1)); it.Valid() && len(out) < max; it.Next() {
			out = append(out, Event{})
			if err := l.readItem(it.Item(), &out[len(out)-1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan event log: %w", err)
	}
	return out, nil
}
