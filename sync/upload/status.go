package upload

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ParkedBatch is a batch the upstream refused (a 4xx other than those
// retried). Its events have left the outbox; they stay readable in the
// audit copy until the retention prunes them, so an admin can retry the
// batch (same key) or discard it.
type ParkedBatch struct {
	Key               string
	FirstSeq, LastSeq uint64
	Events            int
	Status            int    // the upstream's answer
	Message           string // the upstream's message, shortened
	ParkedAt          time.Time
}

// BatchInfo names the in-flight batch.
type BatchInfo struct {
	Key               string
	FirstSeq, LastSeq uint64
	Events            int
}

// Status is the uploader's state for the status page, /readyz and health
// warnings.
type Status struct {
	Pending       int       // events in the outbox
	OldestPending time.Time // ingest time of the oldest, zero when none
	Failing       bool
	Failures      int       // consecutive failed attempts
	FailingSince  time.Time // first of them
	LastError     string    // short text of the last failure
	LastSuccess   time.Time // last delivered batch (since start)
	InFlight      *BatchInfo
	Parked        []ParkedBatch
}

// Status returns a snapshot.
func (u *Uploader) Status() Status {
	n, oldest := u.outbox.Pending()
	u.mu.Lock()
	defer u.mu.Unlock()
	s := Status{Pending: n, OldestPending: oldest, Failing: u.failures > 0, Failures: u.failures,
		FailingSince: u.failSince, LastError: u.lastErr, LastSuccess: u.lastSuccess}
	if r := u.st.Inflight; r != nil {
		s.InFlight = &BatchInfo{Key: r.Key, FirstSeq: r.First, LastSeq: r.Last, Events: r.Count}
	}
	for _, r := range u.st.Parked {
		s.Parked = append(s.Parked, ParkedBatch{Key: r.Key, FirstSeq: r.First, LastSeq: r.Last,
			Events: r.Count, Status: r.Status, Message: r.Message, ParkedAt: r.ParkedAt})
	}
	return s
}

// Errors of the parked-batch admin actions.
var (
	ErrNoSuchParked = errors.New("no parked batch with that key")
	// ErrParkedGone: some events of the parked batch are no longer stored
	// (the retention pruned them); only DiscardParked remains.
	ErrParkedGone = errors.New("events of the parked batch are no longer stored")
)

// RetryParked sends a parked batch once more, under its key (or the next
// revision's key if its content changed since, e.g. scrubbed), waiting for
// any running upload request to finish first. On a 2xx it leaves the list;
// otherwise it stays, with the new answer recorded, and the error says why.
func (u *Uploader) RetryParked(ctx context.Context, key string) error {
	u.sendMu.Lock()
	defer u.sendMu.Unlock()
	u.mu.Lock()
	i := u.parkedIndexLocked(key)
	var rec record
	if i >= 0 {
		rec = u.st.Parked[i]
	}
	u.mu.Unlock()
	if i < 0 {
		return ErrNoSuchParked
	}
	b, err := u.enc.build(func(fn func(uint64, []byte) bool) error {
		return u.outbox.RangeWire(rec.First, rec.Last, fn)
	}, rec.Count, 1<<62)
	if err != nil {
		return fmt.Errorf("retry parked batch: %w", err)
	}
	if b == nil || b.rec.First != rec.First || b.rec.Last != rec.Last || b.rec.Count != rec.Count {
		return ErrParkedGone
	}
	if b.rec.Digest != rec.Digest {
		rec.Rev++
		rec.Digest = b.rec.Digest
		rec.Key = idempotencyKey(u.cfg.HubID, rec.Epoch, rec.First, rec.Last, rec.Rev)
	}
	b.rec = rec
	out := u.post(ctx, b)
	if out.kind == outcomeOK {
		if err := u.updateParked(key, nil); err != nil {
			return err
		}
		u.m.batches.WithLabelValues(resultSuccess).Inc()
		u.m.events.Add(float64(rec.Count))
		u.m.bytes.Add(float64(len(b.gz)))
		u.log.Info("parked batch delivered", "key", rec.Key, "first_seq", rec.First, "last_seq", rec.Last)
		return nil
	}
	rec.Message = trimMessage(out.msg)
	if out.status != 0 {
		rec.Status = out.status
	}
	if err := u.updateParked(key, &rec); err != nil {
		return err
	}
	return fmt.Errorf("retry parked batch: %s", out.msg)
}

// DiscardParked forgets a parked batch: its events are not sent (the
// upstream will see their seqs missing). It is logged.
func (u *Uploader) DiscardParked(key string) error {
	u.mu.Lock()
	i := u.parkedIndexLocked(key)
	u.mu.Unlock()
	if i < 0 {
		return ErrNoSuchParked
	}
	if err := u.updateParked(key, nil); err != nil {
		return err
	}
	u.log.Warn("parked batch discarded", "key", key)
	return nil
}

func (u *Uploader) parkedIndexLocked(key string) int {
	return slices.IndexFunc(u.st.Parked, func(r record) bool { return r.Key == key })
}

// updateParked replaces (rec != nil) or removes the parked batch key and
// saves the state.
func (u *Uploader) updateParked(key string, rec *record) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	i := u.parkedIndexLocked(key)
	if i < 0 {
		return ErrNoSuchParked
	}
	st := u.st
	st.Parked = slices.Clone(st.Parked)
	if rec != nil {
		st.Parked[i] = *rec
	} else {
		st.Parked = slices.Delete(st.Parked, i, i+1)
	}
	if err := u.outbox.SaveUploadState(st.encode(), 0); err != nil {
		return fmt.Errorf("save parked batches: %w", err)
	}
	u.st = st
	u.setParkedGaugesLocked()
	return nil
}
