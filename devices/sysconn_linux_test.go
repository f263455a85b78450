//go:build linux

package devices

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// sysPair returns a sysConn accepted on loopback and the client end.
func sysPair(t *testing.T) (*sysConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	s, ok := sysConnOf(c).(*sysConn)
	if !ok {
		t.Fatalf("sysConnOf(%T) did not wrap it", c)
	}
	t.Cleanup(func() { s.Close() })
	return s, client
}

func TestSysConnReadsAndWrites(t *testing.T) {
	s, client := sysPair(t)
	if _, err := client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := s.Read(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("Read = %q, %v; want hello", buf[:n], err)
	}
	if n, err := s.Write([]byte("world")); n != 5 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	n, err = io.ReadFull(client, buf[:5])
	if err != nil || string(buf[:n]) != "world" {
		t.Fatalf("client read %q, %v; want world", buf[:n], err)
	}
	if n, err := s.Read(nil); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v", n, err)
	}
}

// A write larger than the socket buffers completes once the peer reads: the
// EAGAIN path waits for the poller and goes on where it stopped. Concurrent
// writers do not interleave.
func TestSysConnLargeConcurrentWrites(t *testing.T) {
	s, client := sysPair(t)
	const size = 4 << 20
	a, b := bytes.Repeat([]byte{'a'}, size), bytes.Repeat([]byte{'b'}, size)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, p := range [][]byte{a, b} {
		wg.Go(func() {
			n, err := s.Write(p)
			if err == nil && n != len(p) {
				err = io.ErrShortWrite
			}
			errs <- err
		})
	}
	time.Sleep(50 * time.Millisecond) // let both writers fill the buffers and wait
	got := make([]byte, 2*size)
	if _, err := io.ReadFull(client, got); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	first, second := got[:size], got[size:]
	if !(bytes.Equal(first, a) && bytes.Equal(second, b)) && !(bytes.Equal(first, b) && bytes.Equal(second, a)) {
		t.Fatal("the two writes arrived interleaved or altered")
	}
}

func TestSysConnDeadlineCloseAndEOF(t *testing.T) {
	s, client := sysPair(t)
	buf := make([]byte, 8)

	if err := s.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err := s.Read(buf)
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read past the deadline = %v, want a timeout", err)
	}
	if err := s.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}

	client.Close()
	if n, err := s.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read after the peer closed = %d, %v; want io.EOF", n, err)
	}
	// Writing to a peer that is gone fails (RST after the first write).
	var werr error
	for range 20 {
		if _, werr = s.Write([]byte("x")); werr != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if werr == nil {
		t.Fatal("writes to a closed peer kept succeeding")
	}

	s.Close()
	if _, err := s.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close = %v, want net.ErrClosed", err)
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close = %v, want net.ErrClosed", err)
	}
}

// Close from another goroutine ends a Read blocked waiting for data.
func TestSysConnCloseUnblocksRead(t *testing.T) {
	s, _ := sysPair(t)
	done := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 8))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("blocked Read after Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a blocked Read")
	}
}

func TestSysConnOfLeavesOtherConnsAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if got := sysConnOf(a); got != a {
		t.Fatalf("sysConnOf(pipe) = %T, want the pipe itself", got)
	}
}

// Reads and writes allocate nothing: the callbacks are bound once.
func TestSysConnDoesNotAllocate(t *testing.T) {
	s, client := sysPair(t)
	out, in := []byte("x"), make([]byte, 1)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := s.Write(out); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(client, in); err != nil {
			t.Fatal(err)
		}
		if _, err := client.Write(out); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Read(in); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per write and read, want 0", allocs)
	}
}
