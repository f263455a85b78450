package locks

import (
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fineTimer is a timerfd(2) in Go's network poller, or nanosleep(2) when
// none could be made (f nil).
type fineTimer struct {
	f  *os.File
	rc syscall.RawConn
}

func newFineTimer() fineTimer {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return fineTimer{}
	}
	// A non-blocking descriptor: os.NewFile registers it with the poller.
	f := os.NewFile(uintptr(fd), "timerfd")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return fineTimer{}
	}
	return fineTimer{f: f, rc: rc}
}

func (t fineTimer) close() {
	if t.f != nil {
		_ = t.f.Close()
	}
}

// sleep waits d: the goroutine parks until the timer's descriptor is
// readable (the poller wakes on it at once, whatever its own millisecond
// timeout).
func (t fineTimer) sleep(d time.Duration) {
	if t.f == nil {
		nanosleep(d)
		return
	}
	end := time.Now().Add(d)
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	var serr error
	// Control, not Fd: Fd would switch the descriptor to blocking mode.
	if err := t.rc.Control(func(fd uintptr) {
		if _, _, e := syscall.RawSyscall6(unix.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); e != 0 {
			serr = e
		}
	}); err != nil || serr != nil {
		nanosleep(d)
		return
	}
	var buf [8]byte
	err := t.rc.Read(func(fd uintptr) bool {
		// Raw: a non-blocking read, and a system call through the
		// runtime would wake its sysmon thread on nearly every tap.
		_, _, e := syscall.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		return e != unix.EAGAIN
	})
	if err != nil {
		nanosleep(time.Until(end))
	}
}

// nanosleep sleeps d in the kernel, blocking the thread.
func nanosleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for {
		// EINTR (a signal, such as the runtime's preemption) leaves the
		// remaining time in ts.
		if err := syscall.Nanosleep(&ts, &ts); err != syscall.EINTR {
			return
		}
	}
}
