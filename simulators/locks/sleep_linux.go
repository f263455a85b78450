package locks

import (
	"syscall"
	"time"
)

// fineSleep sleeps d with nanosleep(2): the calling goroutine's thread
// blocks in the kernel, which wakes it within tens of microseconds.
func fineSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for {
		// EINTR (a signal, such as the runtime's preemption) leaves the
		// remaining time in ts.
		if err := syscall.Nanosleep(&ts, &ts); err != syscall.EINTR {
			return
		}
	}
}
