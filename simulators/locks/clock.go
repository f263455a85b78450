package locks

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
)

// lockClock is the lock's own clock: the real clock plus an offset, which a
// test skews and the time flow (docs/protocol.md §10) corrects.
type lockClock struct {
	mu         sync.Mutex
	offset     time.Duration // lock clock minus real clock
	trusted    bool          // set at boot (no skew) or by the first time answer
	correction time.Duration // what the last time answer changed
	lastAsk    time.Time     // real clock of the last time request
	syncs      uint64

	wait *timeWaiter // the outstanding time request, if any
}

type timeWaiter struct {
	nonce  string
	sentAt time.Time // lock clock when the request was sent
	done   chan time.Duration
}

func (c *lockClock) init(skew time.Duration) {
	c.offset = skew
	c.trusted = skew == 0
}

// Now returns the lock's clock.
func (l *Lock) Now() time.Time {
	l.clock.mu.Lock()
	off := l.clock.offset
	l.clock.mu.Unlock()
	return time.Now().Add(off)
}

// SkewClock moves the lock's clock by d (clock skew injection). It does not
// touch the issued floor.
func (l *Lock) SkewClock(d time.Duration) {
	l.clock.mu.Lock()
	defer l.clock.mu.Unlock()
	l.clock.offset += d
}

// ClockOffset returns how far the lock's clock is from the real one.
func (l *Lock) ClockOffset() time.Duration {
	l.clock.mu.Lock()
	defer l.clock.mu.Unlock()
	return l.clock.offset
}

// SyncTime runs the time flow: it sends a time request with a fresh nonce,
// waits for the hub's signed time command on cmd (or an error response on
// res), and returns the correction applied to the lock's clock. It waits up
// to RequestTimeout per attempt (one resend with RequestRetry).
func (l *Lock) SyncTime(ctx context.Context) (time.Duration, error) {
	tr := l.conn()
	if tr == nil {
		return 0, ErrOffline
	}
	nonce := wire.NewNonce()
	w := &timeWaiter{nonce: nonce, sentAt: l.Now(), done: make(chan time.Duration, 1)}
	if err := l.verifier.ExpectTime(w.sentAt, nonce); err != nil {
		return 0, fmt.Errorf("time request: %w", err)
	}
	l.clock.mu.Lock()
	l.clock.wait = w
	l.clock.lastAsk = time.Now()
	l.clock.mu.Unlock()
	defer func() {
		l.clock.mu.Lock()
		if l.clock.wait == w {
			l.clock.wait = nil
		}
		l.clock.mu.Unlock()
	}()

	id := l.nextID('t')
	replies := l.taps.add(id)
	pub := l.requestPublication(id, &wire.Request{Type: wire.TypeTime, Nonce: nonce})
	if err := tr.publish(pub); err != nil {
		l.taps.forget(id, recentExpired)
		return 0, fmt.Errorf("time request: %w", err)
	}
	l.stats.timeRequests.Add(1)
	for attempt := 0; ; attempt++ {
		t := time.NewTimer(l.cfg.RequestTimeout)
		select {
		case corr := <-w.done:
			t.Stop()
			l.taps.forget(id, recentAnswered)
			return corr, nil
		case r := <-replies:
			t.Stop()
			return 0, fmt.Errorf("time request refused: %s %s", r.Result, r.Reason)
		case <-t.C:
			if attempt == 0 && l.cfg.RequestRetry {
				if tr := l.conn(); tr != nil && tr.publish(pub) == nil {
					l.stats.requestRetries.Add(1)
					continue
				}
			}
			l.taps.forget(id, recentExpired)
			return 0, fmt.Errorf("time request: %w", ErrTimeout)
		case <-ctx.Done():
			t.Stop()
			l.taps.forget(id, recentExpired)
			return 0, ctx.Err()
		}
	}
}

// maybeSyncTime starts a time request in the background when AutoTimeSync is
// on and none was sent within TimeSyncInterval.
func (l *Lock) maybeSyncTime() {
	if !l.cfg.AutoTimeSync {
		return
	}
	l.clock.mu.Lock()
	if !l.clock.lastAsk.IsZero() && time.Since(l.clock.lastAsk) < l.cfg.TimeSyncInterval {
		l.clock.mu.Unlock()
		return
	}
	l.clock.lastAsk = time.Now()
	l.clock.mu.Unlock()
	go func() {
		if _, err := l.SyncTime(l.ctx); err != nil {
			l.log.Debug("lock time sync failed", "error", err)
		}
	}()
}

// setTime applies an accepted time command: the clock becomes args.time,
// plus half the measured round trip when it answers our request. A lock
// whose clock was not trusted at boot sets its issued floor to its boot
// time on the new clock (docs/protocol.md §10 step 4).
func (l *Lock) setTime(c *wire.Command) {
	wall := time.Now()
	l.clock.mu.Lock()
	lockNow := wall.Add(l.clock.offset)
	target := time.UnixMilli(c.Time)
	w := l.clock.wait
	if w != nil && w.nonce == c.Nonce {
		if rtt := lockNow.Sub(w.sentAt); rtt > 0 {
			target = target.Add(rtt / 2)
		}
		l.clock.wait = nil
	} else {
		w = nil
	}
	newOffset := target.Sub(wall)
	corr := newOffset - l.clock.offset
	l.clock.offset = newOffset
	l.clock.correction = corr
	l.clock.syncs++
	wasTrusted := l.clock.trusted
	l.clock.trusted = true
	l.clock.mu.Unlock()

	if !wasTrusted {
		l.verifier.SetIssuedFloor(target.Add(-wall.Sub(l.bootedAt)))
	}
	if w != nil {
		w.done <- corr
	}
	l.log.Debug("lock clock set", "correction_ms", corr.Milliseconds())
}

// checkDrift asks for a signed time when the hub's time in a response is
// more than 30 s away from the lock's clock.
func (l *Lock) checkDrift(hubMS int64) {
	if hubMS == 0 {
		return
	}
	d := time.Duration(l.Now().UnixMilli()-hubMS) * time.Millisecond
	if d > 30*time.Second || d < -30*time.Second {
		l.maybeSyncTime()
	}
}
