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
	rc syscall.RawConn

	rmu    sync.Mutex
	rbuf   []byte
	rn     int
	rerrno syscall.Errno
	readFn func(uintptr) bool // c.doRead, bound once: a closure per call would allocate

	wmu     sync.Mutex
	wbuf    []byte
	wn      int
	werrno  syscall.Errno
	writeFn func(uintptr) bool
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
	s := &sysConn{TCPConn: tc, rc: rc}
	s.readFn, s.writeFn = s.doRead, s.doWrite
	return s
}

func (c *sysConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.rbuf, c.rn, c.rerrno = p, 0, 0
	err := c.rc.Read(c.readFn)
	c.rbuf = nil
	switch {
	case err != nil: // deadline, closed: already a *net.OpError
		return 0, err
	case c.rerrno != 0:
		return 0, c.opError("read", os.NewSyscallError("read", c.rerrno))
	case c.rn == 0:
		return 0, io.EOF
	}
	return c.rn, nil
}

func (c *sysConn) doRead(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&c.rbuf[0])), uintptr(len(c.rbuf)))
		switch e {
		case 0:
			c.rn = int(n)
			return true
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false // wait until readable
		default:
			c.rerrno = e
			return true
		}
	}
}

// Write writes all of p, or returns how much it wrote and why it stopped.
func (c *sysConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf, c.wn, c.werrno = p, 0, 0
	err := c.rc.Write(c.writeFn)
	c.wbuf = nil
	switch {
	case err != nil:
		return c.wn, err
	case c.werrno != 0:
		return c.wn, c.opError("write", os.NewSyscallError("write", c.werrno))
	}
	return c.wn, nil
}

func (c *sysConn) doWrite(fd uintptr) bool {
	for c.wn < len(c.wbuf) {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&c.wbuf[c.wn])), uintptr(len(c.wbuf)-c.wn))
		switch e {
		case 0:
			c.wn += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false // wait until writable, then go on
		default:
			c.werrno = e
			return true
		}
	}
	return true
}

func (c *sysConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
