// Package events is the hub's durable event log: the outbox that the
// uploader drains and the local audit copy behind the status page and the
// explainer. It lives in its own Badger directory, apart from the grant
// store.
//
// # Records
//
// An Event is a decision, a door event, an admin action or a gap record.
// The log assigns each a hub sequence number (monotonic, never reused, also
// after a crash: Open recovers it from the highest stored key and the outbox
// pointer), stamps the store epoch and the ingest time (hub clock, kept apart
// from the event's own time) and stores it in a compact versioned binary
// codec (codec.go). Personal fields (name, email, credential reference) are
// never stored in plaintext: they are sealed with AES-256-GCM under a key per
// domain and UTC day, kept in a file outside Badger (<KeysDir>/<domain>/
// <yyyymmdd>.key). DestroyKeysBefore deletes old key files, after which the
// events of those days read back with Scrubbed set: Badger has no secure
// delete, so destroying the key is how personal data expires.
//
// # Durability and group commit
//
// Appends from any number of goroutines are queued; one committer at a time
// (whoever holds the commit token) writes everything queued in one Badger
// transaction (split only at Badger's batch limits). The committer is an
// appender itself: the first waiting appender to take the token commits
// the queue, its own event among it, so at low load an append costs no
// hand-off to another goroutine, and under load each write covers every
// append that queued during the previous one. A background loop commits,
// within FlushInterval, appends whose callers gave up waiting.
//
// With DurabilityProcess, Append returns once the transaction is in
// Badger's memory-mapped WAL and value log (event records go to the value
// log: log.go, eventValueThreshold), which survive a kill of the process,
// or in the stage (stage.go), and a syncer calls DB.Sync within
// FlushInterval. The syncer holds the commit
// token while it syncs: a commit writing into WAL pages under msync stalls
// on page faults, so appends queue for the sync instead and are committed
// together after it. With
// DurabilityDisk the database runs with SyncWrites, so each transaction
// commit fsyncs once for the whole batch: concurrent appenders share the
// fsync.
//
// # Outbox
//
// The outbox is the range of seqs above the stored pointer m/acked: Peek
// reads it, Ack moves the pointer. Acked events remain as the audit copy
// until PruneBefore removes them by age. When the outbox exceeds
// MaxOutboxEvents, the oldest un-uploaded events are dropped and a gap
// record (range, reason "outbox_full") is appended, itself to be uploaded,
// so the receiver sees a declared drop rather than a loss. Records found
// unreadable when the log opens (their value-log data lost to a power cut
// before its sync, log.go dropUnreadable) get gap records too.
//
// The uploader (sync/upload, which cannot import this package) reads the
// outbox in its JSON wire form, schema v1 of docs/events.md (PeekWire,
// RangeWire, AppendWire), and keeps its in-flight and parked batches in an
// opaque record saved with the ack in one transaction (SaveUploadState).
//
// Door events are deduplicated by (lock, boot epoch, lock sequence): an
// index key written in the same transaction as the event lets a resent
// event be recognised (AppendDoor reports it) for DedupeWindow.
package events
