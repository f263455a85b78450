// Package store is lockhub's Badger-backed cache: domains, locks, accesses,
// members with their credential digests (never raw values), grants keyed by
// (origin, kind, reference), sync cursors, last-successful-sync times, lock
// runtime state, the clock mark and the store epoch.
//
// Decisions never touch the disk: Open loads every record into an in-memory
// view (O(1) maps by credential, member and lock), and Decide runs
// policy.Decide on it under a read lock held for the one call, so a decision
// sees the state before or after a batch, never a mix. Writers build a Batch
// and Apply it: atomic and synced before Apply returns, even when the batch
// is far larger than a Badger transaction (a full sync of 500k grants goes
// through a redo journal that Open replays or discards after a crash). The
// new view is prepared outside the read path and published with a short
// write lock.
//
// Records are encoded with a small versioned binary codec (codec.go); the key
// space is in keyspace.go, the schema version and migrations in schema.go.
// Only the hub opens the store; Badger allows one process per directory.
package store
