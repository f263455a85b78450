package locks

import (
	"context"
	"time"
)

// fineSleepSpan is how much of a wait a Sleeper leaves to its fine timer.
// Go timers on Linux wake through the network poller, whose epoll timeout
// is in whole milliseconds: a timer due in 300 µs fires about 1 ms later
// (measured here: a 2 ms schedule ran 0.55 ms late at the median, 1.1 ms at
// p99). An open-loop run measures latency from the scheduled time, so that
// lateness would be counted against the system under test. The last part of
// each wait uses the kernel's own timer instead.
const fineSleepSpan = 2 * time.Millisecond

// Sleeper waits until points in time, precise to tens of microseconds,
// for one goroutine at a time. On Linux its fine timer is a timerfd(2)
// read through Go's network poller: the goroutine parks and no OS thread
// sleeps in the kernel. (The earlier nanosleep(2) blocked a thread per
// wait; with a goroutine in a blocking system call most of the time, the
// runtime's sysmon never backed off from its 20 µs period, and that
// spinning was most of the generator's CPU: 0.2 s per 1,000 taps at 500/s.)
// Elsewhere, or when the timerfd cannot be made, nanosleep or time.Sleep.
type Sleeper struct {
	timer *time.Timer
	fine  fineTimer
}

// NewSleeper returns a Sleeper; Close releases it.
func NewSleeper() *Sleeper {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Sleeper{timer: t, fine: newFineTimer()}
}

// Close releases the timers.
func (s *Sleeper) Close() {
	s.timer.Stop()
	s.fine.close()
}

// Until returns at at (or soon after), or when ctx ends; it reports
// whether ctx is still live. The coarse part of the wait is a Go timer
// (cancellable), the last fineSleepSpan at most the fine timer.
func (s *Sleeper) Until(ctx context.Context, at time.Time) bool {
	if wait := time.Until(at) - fineSleepSpan; wait > 0 {
		s.timer.Reset(wait)
		select {
		case <-ctx.Done():
			s.timer.Stop()
			return false
		case <-s.timer.C:
		}
	}
	if wait := time.Until(at); wait > 0 {
		s.fine.sleep(wait)
	}
	return ctx.Err() == nil
}
