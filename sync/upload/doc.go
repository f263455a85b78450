// Package upload ships the hub's event log to the upstream (docs/events.md
// is the contract) and runs the log's retention job.
//
// # Upload
//
// An [Uploader] drains the [Outbox] (the event log) in batches bounded in
// events and bytes: gzip JSON (schema lockhub.events.v1), a bearer token and
// an Idempotency-Key derived from the hub id, the store epoch and the
// batch's sequence range. The batch's range, key and body digest are saved
// in the outbox before the first request, so a restart resends the same
// batch under the same key; the outbox pointer moves past a batch, and its
// in-flight record goes, in one transaction, only after a 2xx.
//
// Answers: 2xx delivers; a transport error, 408, 409, 425, 429, 5xx, and
// 401/403/404/407 (configuration, not the batch) are retried with jittered
// exponential backoff, honouring Retry-After; any other 4xx parks the batch:
// it leaves the outbox, is listed in [Status] with the status code and the
// server's message, and waits for an admin ([Uploader.RetryParked] under the
// same key, [Uploader.DiscardParked]); later batches flow meanwhile. Its
// events are never re-sent under a new key, except under the next revision
// of the same range if their content changed (scrubbed) since.
//
// Before each retry the in-flight batch is rebuilt from the outbox: if the
// retention scrubbed some of its events meanwhile, it goes under the next
// revision's key ("-r1"), never carrying personal data past its retention.
//
// Only state changes are logged: the first failure and each change of its
// text, the recovery with the failure count and downtime, each parked
// batch.
//
// # Scheduling
//
// [Uploader.Run] runs the drain on a cron schedule (robfig/cron, UTC,
// cron.Recover and cron.SkipIfStillRunning), default every 10 s, and early
// when the backlog reaches a threshold. [Uploader.Drain] is the job itself,
// also for a flush at shutdown.
//
// # Retention
//
// [Retention] destroys per domain the keys of personal fields older than
// the domain's retention, prunes uploaded events older than the longest
// retention from the audit copy, and calls the [MemberEraser] hook, which
// the hub wires to the grant store.
package upload
