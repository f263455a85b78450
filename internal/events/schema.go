package events

import (
	"encoding/binary"

	"github.com/dgraph-io/badger/v4"
)

// Key space of the events database (its own Badger directory):
//
//	e/<seq:8 BE>                                   event record (codec.go), in seq order
//	d/<len:1><lock><boot:4 BE><lock seq:8 BE>      door dedupe index -> seq:8 BE, with a TTL
//	m/acked                                        outbox pointer: every seq <= it is uploaded (or dropped)
//	m/upload                                       the uploader's state record (uploadstate.go), opaque here
//	m/synced                                       version: every value written at or below it is on disk (log.go, dropUnreadable)
//
// The outbox is the range (m/acked, last seq]; the audit copy is every e/
// record, pruned by age (PruneBefore) and by the outbox cap. Both delete only
// seqs <= m/acked, so the next seq recovered on Open, one past the highest of
// the last e/ key and m/acked, is never one used before.
const (
	prefixEvent = "e/"
	prefixDoor  = "d/"
	keyAcked    = "m/acked"
	keySynced   = "m/synced"
)

const eventKeyLen = 2 + 8

func eventKey(dst []byte, seq uint64) []byte {
	dst = append(dst, prefixEvent...)
	return binary.BigEndian.AppendUint64(dst, seq)
}

func seqOfKey(k []byte) (uint64, bool) {
	if len(k) != eventKeyLen || string(k[:2]) != prefixEvent {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[2:]), true
}

func doorKey(dst []byte, lock string, boot uint32, lockSeq uint64) []byte {
	dst = append(dst, prefixDoor...)
	dst = append(dst, byte(len(lock)))
	dst = append(dst, lock...)
	dst = binary.BigEndian.AppendUint32(dst, boot)
	return binary.BigEndian.AppendUint64(dst, lockSeq)
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func readU64(txn *badger.Txn, key []byte) (uint64, error) {
	it, err := txn.Get(key)
	if err == badger.ErrKeyNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var v uint64
	err = it.Value(func(b []byte) error {
		if len(b) == 8 {
			v = binary.BigEndian.Uint64(b)
		}
		return nil
	})
	return v, err
}
