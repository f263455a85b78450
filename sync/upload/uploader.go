package upload

import (
	"context"
	"errors"
	"fmt"
	"github.com/lockhub/lockhub/internal/backoff"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Uploader ships the outbox to the upstream: see the package doc.
type Uploader struct {
	cfg    Config
	sched  cron.Schedule
	outbox Outbox
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	m      *metrics

	// sendMu serialises the drain loop and admin retries: one request at a
	// time, and the encoder is theirs.
	sendMu sync.Mutex
	enc    *encoder
	bo     *backoff.Backoff

	mu          sync.Mutex // guards what follows
	st          state      // as last saved
	inflight    *batch     // the in-flight batch with its body, once built
	stale       bool       // rebuild the in-flight body before the next attempt
	failures    int
	failSince   time.Time
	lastErr     string
	lastSuccess time.Time
	jobErr      string
}

// New checks cfg, loads the saved state and registers the metrics. An
// unreadable saved state is logged and replaced by an empty one (the
// events stay in the outbox; only a resend under a new key can follow).
func New(cfg Config, deps Deps) (*Uploader, error) {
	sched, err := cfg.setDefaults()
	if err != nil {
		return nil, err
	}
	if deps.Outbox == nil {
		return nil, errors.New("upload: outbox is required")
	}
	u := &Uploader{cfg: cfg, sched: sched, outbox: deps.Outbox, client: deps.Client, log: deps.Logger,
		now: deps.Now, sleep: deps.Sleep, enc: newEncoder(cfg.HubID, cfg.Epoch)}
	if u.client == nil {
		u.client = &http.Client{Transport: http.DefaultTransport}
	}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	u.log = u.log.With("component", "upload")
	if u.now == nil {
		u.now = time.Now
	}
	if u.sleep == nil {
		u.sleep = backoff.Sleep
	}
	// The delay is computed here and slept by u.sleep (injected in tests).
	u.bo = backoff.New(backoff.Config{Base: cfg.BackoffBase, Max: cfg.BackoffMax,
		RetryAfterMax: cfg.RetryAfterMax, Jitter: deps.Jitter})
	if u.m, err = newMetrics(deps.Registerer); err != nil {
		return nil, err
	}
	raw, err := u.outbox.UploadState()
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	st, err := decodeState(raw)
	if err != nil {
		u.log.Error("saved upload state unreadable; starting without it", "err", err)
	}
	u.st = st
	u.stale = st.Inflight != nil
	u.setParkedGauges()
	return u, nil
}

// Drain uploads until the outbox is empty, retrying failed batches with
// backoff, and returns nil then; it returns ctx's error when ctx ends (an
// interrupted batch stays in flight and is resent, same key, by the next
// Drain), or an error reading or saving the outbox.
func (u *Uploader) Drain(ctx context.Context) error {
	u.sendMu.Lock()
	defer u.sendMu.Unlock()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := u.current()
		if err != nil || b == nil {
			return err
		}
		out := u.post(ctx, b)
		if err := ctx.Err(); err != nil {
			u.mu.Lock()
			u.stale = true
			u.mu.Unlock()
			return err
		}
		switch out.kind {
		case outcomeOK:
			if err := u.delivered(b); err != nil {
				return err
			}
		case outcomePark:
			parked, err := u.park(b, out)
			if err != nil {
				return err
			}
			if parked {
				continue
			}
			out.msg = "parked list full (" + out.msg + ")"
			fallthrough
		default:
			u.failed(out)
			d := u.bo.Next(out.retryAfter)
			if err := u.sleep(ctx, d); err != nil {
				return err
			}
			u.mu.Lock()
			u.stale = true // rebuild: retention may have scrubbed it meanwhile
			u.mu.Unlock()
		}
	}
}

// current returns the batch to send: the in-flight one (rebuilt from the
// outbox after a failure or a restart, under the same key if its content is
// unchanged), else a new one from the outbox, saved as in flight before
// it is sent. nil means the outbox is empty.
func (u *Uploader) current() (*batch, error) {
	u.mu.Lock()
	b, stale, rec := u.inflight, u.stale, u.st.Inflight
	u.mu.Unlock()
	if b != nil && !stale {
		return b, nil
	}
	if rec != nil {
		b, err := u.rebuild(*rec)
		if err != nil || b != nil {
			return b, err
		}
	}
	b, err := u.enc.build(func(fn func(uint64, []byte) bool) error { return u.outbox.PeekWire(0, fn) },
		u.cfg.MaxBatchEvents, u.cfg.MaxBatchBytes)
	if err != nil || b == nil {
		return nil, err
	}
	b.rec.Epoch = u.cfg.Epoch
	b.rec.Key = idempotencyKey(u.cfg.HubID, u.cfg.Epoch, b.rec.First, b.rec.Last, 0)
	if err := u.setInflight(b); err != nil {
		return nil, err
	}
	return b, nil
}

// rebuild re-reads an in-flight batch. Unchanged content keeps the key;
// changed content (events scrubbed since) gets the next revision's key; a
// range no longer whole in the outbox (the outbox cap dropped part of it,
// declared by a gap record) or from another epoch is forgotten, and nil is
// returned.
func (u *Uploader) rebuild(rec record) (*batch, error) {
	var b *batch
	var err error
	if rec.Epoch == u.cfg.Epoch {
		b, err = u.enc.build(func(fn func(uint64, []byte) bool) error {
			return u.outbox.RangeWire(rec.First, rec.Last, fn)
		}, rec.Count, 1<<62)
		if err != nil {
			return nil, err
		}
	}
	if b == nil || b.rec.First != rec.First || b.rec.Last != rec.Last || b.rec.Count != rec.Count {
		u.log.Warn("in-flight batch no longer whole in the outbox; sending what is left as new batches",
			"key", rec.Key, "first_seq", rec.First, "last_seq", rec.Last)
		return nil, u.setInflight(nil)
	}
	sum := b.rec.Digest
	b.rec = rec
	if sum != rec.Digest {
		b.rec.Rev = rec.Rev + 1
		b.rec.Digest = sum
		b.rec.Key = idempotencyKey(u.cfg.HubID, u.cfg.Epoch, rec.First, rec.Last, b.rec.Rev)
		u.log.Info("in-flight batch changed since it was first sent (events scrubbed); resending under a new key",
			"old_key", rec.Key, "key", b.rec.Key)
		if err := u.setInflight(b); err != nil {
			return nil, err
		}
		return b, nil
	}
	u.mu.Lock()
	u.inflight, u.stale = b, false
	u.mu.Unlock()
	return b, nil
}

// setInflight saves b (nil: none) as the in-flight batch.
func (u *Uploader) setInflight(b *batch) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	st := u.st
	if b != nil {
		r := b.rec
		st.Inflight = &r
	} else {
		st.Inflight = nil
	}
	if err := u.outbox.SaveUploadState(st.encode(), 0); err != nil {
		return fmt.Errorf("save in-flight batch: %w", err)
	}
	u.st, u.inflight, u.stale = st, b, false
	return nil
}

// delivered acknowledges b: the outbox pointer moves past it and the
// in-flight record goes, in one transaction.
func (u *Uploader) delivered(b *batch) error {
	u.bo.Reset()
	u.mu.Lock()
	st := u.st
	st.Inflight = nil
	if err := u.outbox.SaveUploadState(st.encode(), b.rec.Last); err != nil {
		u.mu.Unlock()
		return fmt.Errorf("acknowledge batch %s: %w", b.rec.Key, err)
	}
	u.st, u.inflight, u.stale = st, nil, false
	now := u.now()
	u.lastSuccess = now
	u.recoveredLocked(now)
	u.mu.Unlock()
	u.m.batches.WithLabelValues(resultSuccess).Inc()
	u.m.events.Add(float64(b.rec.Count))
	u.m.bytes.Add(float64(len(b.gz)))
	u.m.lastSuccess.Set(float64(now.UnixNano()) / 1e9)
	return nil
}

// park moves a refused batch to the parked list and the outbox pointer past
// it; false when the parked list is full.
func (u *Uploader) park(b *batch, out outcome) (bool, error) {
	u.mu.Lock()
	if len(u.st.Parked) >= u.cfg.MaxParked {
		u.mu.Unlock()
		return false, nil
	}
	u.bo.Reset()
	now := u.now()
	rec := b.rec
	rec.Status, rec.Message, rec.ParkedAt = out.status, trimMessage(out.msg), now.UTC()
	st := u.st
	st.Inflight = nil
	st.Parked = append(st.Parked[:len(st.Parked):len(st.Parked)], rec)
	if err := u.outbox.SaveUploadState(st.encode(), b.rec.Last); err != nil {
		u.mu.Unlock()
		return false, fmt.Errorf("park batch %s: %w", b.rec.Key, err)
	}
	u.st, u.inflight, u.stale = st, nil, false
	u.recoveredLocked(now)
	u.setParkedGaugesLocked()
	u.mu.Unlock()
	u.m.batches.WithLabelValues(resultParked).Inc()
	u.log.Warn("event batch refused by the upstream; parked", "key", rec.Key, "first_seq", rec.First,
		"last_seq", rec.Last, "events", rec.Count, "status", rec.Status, "message", rec.Message)
	return true, nil
}

// failed records a failed attempt; it logs only when the failure text
// changes.
func (u *Uploader) failed(out outcome) {
	u.m.batches.WithLabelValues(resultFailure).Inc()
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.failures == 0 {
		u.failSince = u.now()
	}
	u.failures++
	u.m.failures.Set(float64(u.failures))
	if out.msg != u.lastErr {
		u.lastErr = out.msg
		u.log.Warn("event upload failing", "err", out.msg, "failures", u.failures)
	}
}

func (u *Uploader) recoveredLocked(now time.Time) {
	if u.failures > 0 {
		u.log.Info("event upload recovered", "failures", u.failures,
			"downtime", now.Sub(u.failSince).Round(time.Millisecond).String())
	}
	u.failures, u.lastErr, u.failSince = 0, "", time.Time{}
	u.m.failures.Set(0)
}

func (u *Uploader) setParkedGauges() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.setParkedGaugesLocked()
}

func (u *Uploader) setParkedGaugesLocked() {
	n := 0
	for _, p := range u.st.Parked {
		n += p.Count
	}
	u.m.parked.Set(float64(len(u.st.Parked)))
	u.m.parkedEvts.Set(float64(n))
}

func trimMessage(s string) string {
	if len(s) <= maxMessageLen {
		return s
	}
	for i := maxMessageLen; i > 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return s[:i]
		}
	}
	return ""
}
