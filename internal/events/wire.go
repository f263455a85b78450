package events

// This file is the uploader's view of the log: the JSON wire form of an event
// (schema v1, docs/events.md) and scans that hand it out without an
// intermediate copy. The uploader (sync/upload) cannot import this package;
// it consumes these methods through its own Outbox interface.

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
)

// WireVersion is the version of the JSON form written by AppendWire.
const WireVersion = 1

// AppendWire appends the JSON form (schema v1, one object) of ev to dst.
// Personal fields are written only when set; a scrubbed event carries
// "scrubbed":true and none of them. Fields of other event types are left
// out.
func AppendWire(dst []byte, ev *Event) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendUint(dst, ev.Seq, 10)
	dst = wireString(dst, "epoch", ev.Epoch, true)
	dst = wireString(dst, "type", ev.Type.String(), true)
	dst = wireTime(dst, "time", ev.Time)
	dst = wireTime(dst, "ingest", ev.Ingest)
	dst = wireString(dst, "lock", ev.Lock, false)
	dst = wireString(dst, "request_id", ev.RequestID, false)
	dst = wireString(dst, "domain", ev.Domain, false)
	dst = wireString(dst, "member", ev.Member, false)
	switch ev.Type {
	case TypeDecision:
		dst = append(dst, `,"allowed":`...)
		dst = strconv.AppendBool(dst, ev.Allowed)
		dst = wireString(dst, "reason", ev.Reason.String(), true)
		if ev.Credential != 0 {
			dst = wireString(dst, "credential_type", ev.Credential.String(), true)
		}
		if ev.Grant.Origin != 0 {
			dst = wireString(dst, "grant_origin", ev.Grant.Origin.String(), true)
		}
		if ev.Grant.Kind != 0 {
			dst = wireString(dst, "grant_kind", ev.Grant.Kind.String(), true)
		}
		dst = wireString(dst, "grant_ref", ev.Grant.Reference, false)
		dst = wireString(dst, "access", ev.Access, false)
	case TypeDoor:
		dst = append(dst, `,"boot_epoch":`...)
		dst = strconv.AppendUint(dst, uint64(ev.Boot), 10)
		dst = append(dst, `,"lock_seq":`...)
		dst = strconv.AppendUint(dst, ev.LockSeq, 10)
		dst = wireString(dst, "door_kind", ev.DoorKind, false)
		if ev.HasBattery {
			dst = append(dst, `,"battery":`...)
			dst = strconv.AppendUint(dst, uint64(ev.Battery), 10)
		}
	case TypeAdmin:
		dst = wireString(dst, "action", ev.Action, false)
		dst = wireString(dst, "actor", ev.Actor, false)
	case TypeGap:
		dst = append(dst, `,"gap_from":`...)
		dst = strconv.AppendUint(dst, ev.GapFrom, 10)
		dst = append(dst, `,"gap_to":`...)
		dst = strconv.AppendUint(dst, ev.GapTo, 10)
		dst = wireString(dst, "gap_reason", ev.GapReason, false)
	}
	if ev.Scrubbed {
		dst = append(dst, `,"scrubbed":true`...)
	} else {
		dst = wireString(dst, "name", ev.Personal.Name, false)
		dst = wireString(dst, "email", ev.Personal.Email, false)
		dst = wireString(dst, "credential_ref", ev.Personal.CredentialRef, false)
	}
	return append(dst, '}')
}

func wireString(dst []byte, name, v string, always bool) []byte {
	if v == "" && !always {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendJSONString(dst, v)
}

func wireTime(dst []byte, name string, t time.Time) []byte {
	if t.IsZero() {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, `":"`...)
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Control characters are
// escaped and invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// WireFunc receives one event's wire JSON. wire is valid only during the
// call. Returning false stops the scan. It is an alias so that consumer
// interfaces can spell the plain func type without importing this package.
type WireFunc = func(seq uint64, wire []byte) bool

// PeekWire calls fn, in seq order, with the wire JSON of each outbox event
// with seq > afterSeq (and above the outbox pointer), until fn returns false
// or the outbox ends. Personal fields are decrypted, or the event is
// written scrubbed when their key is gone.
func (l *Log) PeekWire(afterSeq uint64, fn WireFunc) error {
	l.settle() // see what Append acknowledged (stage_log.go)
	start := max(afterSeq, l.acked.Load())
	if start == ^uint64(0) {
		return nil
	}
	if err := l.scanWire(start+1, ^uint64(0), fn); err != nil {
		return fmt.Errorf("peek outbox: %w", err)
	}
	return nil
}

// RangeWire calls fn, in seq order, with the wire JSON of each stored event
// with from <= seq <= to, whether in the outbox or only in the audit copy
// (an acknowledged event stays readable until PruneBefore removes it). Seqs
// no longer stored are skipped.
func (l *Log) RangeWire(from, to uint64, fn WireFunc) error {
	l.settle() // see what Append acknowledged (stage_log.go)
	if from > to {
		return nil
	}
	if err := l.scanWire(from, to, fn); err != nil {
		return fmt.Errorf("read events %d..%d: %w", from, to, err)
	}
	return nil
}

func (l *Log) scanWire(from, to uint64, fn WireFunc) error {
	return l.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{
			PrefetchValues: true, PrefetchSize: 256, Prefix: []byte(prefixEvent),
		})
		defer it.Close()
		var ev Event
		var buf []byte
		for it.Seek(eventKey(nil, from)); it.Valid(); it.Next() {
			seq, ok := seqOfKey(it.Item().Key())
			if !ok || seq > to {
				return nil
			}
			if err := l.readItem(it.Item(), &ev); err != nil {
				return err
			}
			buf = AppendWire(buf[:0], &ev)
			if !fn(seq, buf) {
				return nil
			}
		}
		return nil
	})
}
