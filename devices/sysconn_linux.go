//go:build linux

package devices

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// sysConn is an accepted TCP connection whose reads and writes are raw
// system calls on its non-blocking socket, waited for by Go's network
// poller as net.TCPConn's are (syscall.RawConn), with the same deadlines and
// close behaviour.
//
// Why: net.TCPConn enters every read and write through syscall.Syscall,
// which tells the scheduler the goroutine may block. When the hub has been
// idle for a moment, the runtime's monitor thread (sysmon) is parked, and
// the first such entry wakes it with a futex. Between two lock requests the
// hub is idle, so at 2,000 requests/s that wake-up came once per request:
// 19 % of the hub's CPU in a profile of the round trip
// (docs/performance.md). A read or write on a non-blocking socket never
// blocks, so it needs none of that: it returns EAGAIN and the poller waits.
type sysConn struct {
	*net.TCPConn
	r, w rawIO
}

// rawIO is one direction of a sysConn: the buffer and outcome shared with
// the poller's callback, and the callback and the wait, bound once (a
// closure per call would allocate).
type rawIO struct {
	mu    sync.Mutex
	sysno uintptr // SYS_READ or SYS_WRITE
	all   bool    // write all of buf; a read returns after one transfer
	buf   []byte
	n     int
	errno syscall.Errno
	fn    func(uintptr) bool
	wait  func(func(uintptr) bool) error // RawConn.Read or RawConn.Write
}

// sysConnOf wraps c when it is a TCP connection; anything else is returned
// as it is.
func sysConnOf(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	s := &sysConn{TCPConn: tc}
	s.r = rawIO{sysno: syscall.SYS_READ, wait: rc.Read}
	s.w = rawIO{sysno: syscall.SYS_WRITE, all: true, wait: rc.Write}
	s.r.fn, s.w.fn = s.r.transfer, s.w.transfer
	return s
}

// run moves p through the socket: one transfer for a read, all of p for a
// write, waiting on the poller whenever the socket is not ready.
func (o *rawIO) run(p []byte) (n int, errno syscall.Errno, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf, o.n, o.errno = p, 0, 0
	err = o.wait(o.fn) // deadline, closed: already a *net.OpError
	o.buf = nil
	return o.n, o.errno, err
}

// transfer is the poller's callback: false means "wait until ready, then
// call again".
func (o *rawIO) transfer(fd uintptr) bool {
	for o.n < len(o.buf) {
		n, _, e := syscall.RawSyscall(o.sysno, fd, uintptr(unsafe.Pointer(&o.buf[o.n])), uintptr(len(o.buf)-o.n))
		switch e {
		case 0:
			o.n += int(n)
			if n == 0 || !o.all {
				return true // a read's data or end of stream
			}
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			o.errno = e
			return true
		}
	}
	return true
}

func (c *sysConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, errno, err := c.r.run(p)
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, c.opError("read", os.NewSyscallError("read", errno))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p, or returns how much it wrote and why it stopped.
func (c *sysConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, errno, err := c.w.run(p)
	switch {
	case err != nil:
		return n, err
	case errno != 0:
		return n, c.opError("write", os.NewSyscallError("write", errno))
	case n < len(p):
		return n, c.opError("write", io.ErrShortWrite)
	}
	return n, nil
}

func (c *sysConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
