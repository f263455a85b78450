package locks

import (
	"testing"

	"golang.org/x/sys/unix"
)

// On Linux the fine timer is a timerfd in the poller, in non-blocking
// mode (a blocking descriptor would make every wait block a thread).
func TestFineTimerIsPolledTimerfd(t *testing.T) {
	ft := newFineTimer()
	defer ft.close()
	if ft.f == nil {
		t.Fatal("no timerfd: the fine timer fell back to nanosleep")
	}
	var flags int
	var ferr error
	if err := ft.rc.Control(func(fd uintptr) { flags, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0) }); err != nil || ferr != nil {
		t.Fatal(err, ferr)
	}
	if flags&unix.O_NONBLOCK == 0 {
		t.Fatal("the timerfd is in blocking mode")
	}
	ft.sleep(100_000) // 100 µs: the descriptor stays non-blocking after use
	if err := ft.rc.Control(func(fd uintptr) { flags, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0) }); err != nil || ferr != nil || flags&unix.O_NONBLOCK == 0 {
		t.Fatalf("after a sleep: flags %#x, %v, %v", flags, err, ferr)
	}
}
