package locks

import (
	"context"
	"time"
)

// fineSleepSpan is how much of a wait SleepUntil leaves to fineSleep. Go
// timers on Linux wake through the network poller, whose epoll timeout is
// in whole milliseconds: a timer due in 300 µs fires about 1 ms later
// (measured here: a 2 ms schedule ran 0.55 ms late at the median, 1.1 ms at
// p99). An open-loop run measures latency from the scheduled time, so that
// lateness would be counted against the system under test. The last part of
// each wait is slept with the kernel's own timer instead (about 0.08 ms
// late at the median on the same machine).
const fineSleepSpan = 2 * time.Millisecond

// SleepUntil returns at at (or soon after), or when ctx ends; it reports
// whether ctx is still live. The coarse part of the wait is a Go timer
// (cancellable), the last fineSleepSpan at most a kernel sleep, which
// blocks one OS thread for that long.
func SleepUntil(ctx context.Context, timer *time.Timer, at time.Time) bool {
	if wait := time.Until(at) - fineSleepSpan; wait > 0 {
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
		}
	}
	if wait := time.Until(at); wait > 0 {
		fineSleep(wait)
	}
	return ctx.Err() == nil
}
