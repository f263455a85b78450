//go:build !linux

package locks

import "time"

// fineTimer is time.Sleep where timerfd(2) is not wired up.
type fineTimer struct{}

func newFineTimer() fineTimer { return fineTimer{} }

func (fineTimer) close() {}

func (fineTimer) sleep(d time.Duration) { time.Sleep(d) }
