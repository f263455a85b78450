package store

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// The redo journal makes a batch larger than one Badger transaction atomic.
// Apply writes the batch's operations as chunks under j/d/, then one small
// transaction writes the commit marker j/c (the number of chunks) and the
// store syncs: from here on the batch is committed. The operations are then
// written to their own keys (idempotent puts and deletes), the store syncs
// again, the marker is deleted and then the chunks. Open replays a journal
// whose marker exists and discards chunks without one.

// Journal bounds (chunks are read back from disk).
const (
	journalChunkTarget = 256 << 10 // bytes of operations per chunk
	maxJournalChunk    = 8 << 20
	maxJournalKey      = 2 * maxStringLen
	journalOpPut       = 1
	journalOpDel       = 2
)

// encodeJournalChunks splits the operations into encoded chunks.
func encodeJournalChunks(kvs []kv) [][]byte {
	var chunks [][]byte
	var e encoder
	n, countAt := 0, 0
	flush := func() {
		if n == 0 {
			return
		}
		// The count is a fixed 4-byte field written last.
		e.b[countAt], e.b[countAt+1], e.b[countAt+2], e.b[countAt+3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
		chunks = append(chunks, e.b)
		n = 0
	}
	for _, op := range kvs {
		if n == 0 {
			e = newEncoder(make([]byte, 0, journalChunkTarget+4096))
			countAt = len(e.b)
			e.b = append(e.b, 0, 0, 0, 0)
		}
		if op.del {
			e.byte(journalOpDel)
			e.uvarint(uint64(len(op.key)))
			e.b = append(e.b, op.key...)
		} else {
			e.byte(journalOpPut)
			e.uvarint(uint64(len(op.key)))
			e.b = append(e.b, op.key...)
			e.uvarint(uint64(len(op.value)))
			e.b = append(e.b, op.value...)
		}
		n++
		if len(e.b) >= journalChunkTarget {
			flush()
		}
	}
	flush()
	return chunks
}

var errJournal = errors.New("bad journal chunk")

// decodeJournalChunk parses a chunk read from disk. Keys and values alias b.
func decodeJournalChunk(b []byte) ([]kv, error) {
	if len(b) > maxJournalChunk {
		return nil, fmt.Errorf("decode journal chunk: %w", errTooLarge)
	}
	if len(b) < 5 || b[0] != codecVersion {
		return nil, fmt.Errorf("decode journal chunk: %w: header", errJournal)
	}
	n := int(b[1])<<24 | int(b[2])<<16 | int(b[3])<<8 | int(b[4])
	d := decoder{b: b[5:]}
	if n > len(d.b)/3 { // every op takes at least 3 bytes
		return nil, fmt.Errorf("decode journal chunk: %w: count %d", errJournal, n)
	}
	kvs := make([]kv, 0, n)
	for range n {
		var op kv
		kind := d.byte()
		kl := d.uvarint()
		if d.err == nil && (kl == 0 || kl > maxJournalKey) {
			d.fail(fmt.Errorf("%w: key length %d", errJournal, kl))
		}
		op.key = d.bytes(int(kl))
		switch kind {
		case journalOpPut:
			vl := d.uvarint()
			if d.err == nil && vl > maxRecordSize {
				d.fail(fmt.Errorf("%w: value length %d", errJournal, vl))
			}
			op.value = d.bytes(int(vl))
			if op.value == nil {
				op.value = []byte{}
			}
		case journalOpDel:
			op.del = true
		default:
			d.fail(fmt.Errorf("%w: op %d", errJournal, kind))
		}
		if d.err != nil {
			break
		}
		kvs = append(kvs, op)
	}
	if err := d.finish("journal chunk"); err != nil {
		return nil, err
	}
	return kvs, nil
}

// writeKVs writes operations with a WriteBatch (not atomic on its own).
func writeKVs(db *badger.DB, kvs []kv) error {
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	for _, op := range kvs {
		var err error
		if op.del {
			err = wb.Delete(op.key)
		} else {
			err = wb.Set(op.key, op.value)
		}
		if err != nil {
			return err
		}
	}
	return wb.Flush()
}

// journalKeys lists the chunk keys present under j/d/.
func journalKeys(db *badger.DB) ([][]byte, error) {
	var keys [][]byte
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pfxJournalChunk)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	return keys, err
}

// recoverJournal replays a committed journal and removes any journal left by
// an interrupted Apply. It reports how many operations it replayed.
func recoverJournal(db *badger.DB) (int, error) {
	var chunks uint64
	committed := false
	err := db.View(func(txn *badger.Txn) error {
		it, err := txn.Get([]byte(keyJournalMark))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		committed = true
		return it.Value(func(v []byte) error {
			chunks, err = decodeUint(v)
			return err
		})
	})
	if err != nil {
		return 0, fmt.Errorf("read journal marker: %w", err)
	}
	replayed := 0
	if committed {
		for i := uint64(0); i < chunks; i++ {
			var kvs []kv
			err := db.View(func(txn *badger.Txn) error {
				it, err := txn.Get(journalChunkKey(uint32(i)))
				if err != nil {
					return err
				}
				v, err := it.ValueCopy(nil)
				if err != nil {
					return err
				}
				kvs, err = decodeJournalChunk(v)
				return err
			})
			if err != nil {
				return replayed, fmt.Errorf("replay committed journal chunk %d of %d: %w", i, chunks, err)
			}
			if err := writeKVs(db, kvs); err != nil {
				return replayed, fmt.Errorf("replay committed journal chunk %d: %w", i, err)
			}
			replayed += len(kvs)
		}
		if err := db.Sync(); err != nil {
			return replayed, fmt.Errorf("sync replayed journal: %w", err)
		}
	}
	if err := dropJournal(db, committed); err != nil {
		return replayed, err
	}
	return replayed, nil
}

// dropJournal deletes the marker (first) and then every chunk.
func dropJournal(db *badger.DB, marker bool) error {
	if marker {
		if err := db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(keyJournalMark)) }); err != nil {
			return fmt.Errorf("delete journal marker: %w", err)
		}
	}
	keys, err := journalKeys(db)
	if err != nil {
		return fmt.Errorf("list journal chunks: %w", err)
	}
	if len(keys) == 0 {
		return nil
	}
	del := make([]kv, len(keys))
	for i, k := range keys {
		del[i] = kv{key: k, del: true}
	}
	if err := writeKVs(db, del); err != nil {
		return fmt.Errorf("delete journal chunks: %w", err)
	}
	return nil
}
