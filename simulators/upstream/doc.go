// Package upstream is a fake of the cloud service that receives the hub's
// event-log batches, for tests, benchmarks and `lockhub sim upstream`. It
// implements the receiving side of the contract in docs/events.md from the
// document alone (stdlib only, nothing of lockhub imported), so it cannot
// drift along with the uploader's code.
//
// # What it checks and reports
//
// A request must be a POST with the bearer token, an Idempotency-Key and a
// gzip JSON body of schema lockhub.events.v1 (DecodeBatch: known fields only,
// envelope count and range matching the events, seqs strictly increasing,
// complete events, no personal field on a scrubbed event).
//
// Idempotency: the first body seen under a key is stored; the same key with
// the same decoded body again answers 200 with nothing stored (a replay);
// the same key with a different body answers 422 (not 409, which the hub
// retries: reusing a key for different content is a client bug that
// retrying cannot fix).
//
// Every accepted event is recorded by (hub, epoch, seq); one already held is
// counted as a duplicate (it can only have come under another key). Door
// events are also recognised by (hub, lock, boot_epoch, lock_seq). Gap
// records declare ranges the hub dropped; Report lists, per (hub, epoch), the
// seqs neither received nor declared (Missing).
//
// # Faults
//
// SetFaults switches failures at run time: an error status (optionally with
// Retry-After, optionally only for the batch holding a given seq or key),
// slow answers, a connection dropped mid-body, and a batch stored whose
// answer is lost or late.
package upstream
