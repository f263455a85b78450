package upload

import "time"

// Outbox is what the uploader needs of the event log; *events.Log
// implements it (the hub wires it; a test guards it). The log hands out
// events already in their wire form (schema v1), so this package never
// sees the log's types.
type Outbox interface {
	// PeekWire calls fn in seq order with each outbox event above afterSeq
	// (and above the outbox pointer) until fn returns false. wire is valid
	// only during the call.
	PeekWire(afterSeq uint64, fn func(seq uint64, wire []byte) bool) error
	// RangeWire calls fn for the stored events from..to, outbox or audit
	// copy, skipping seqs no longer stored.
	RangeWire(from, to uint64, fn func(seq uint64, wire []byte) bool) error
	// Pending returns the outbox size and the oldest event's ingest time.
	Pending() (count int, oldest time.Time)
	// UploadState returns the record last saved by SaveUploadState (nil if
	// none).
	UploadState() ([]byte, error)
	// SaveUploadState replaces the record and, when ackUpto > 0, moves the
	// outbox pointer to ackUpto, in one transaction.
	SaveUploadState(state []byte, ackUpto uint64) error
}
