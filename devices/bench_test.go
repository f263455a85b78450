package devices_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/lockhub/lockhub/devices"
)

// BenchmarkConnect1000Locks connects 1,000 locks with authentication and
// reports the connect time and rate, and this (hub) process's heap and RSS
// with all of them connected. The locks are raw MQTT 3.1.1 connections
// opened by a child process (the test binary re-run as a helper), so the
// hub's memory is measured alone and each process stays within its
// open-file limit.
func BenchmarkConnect1000Locks(b *testing.B) { benchConnect(b, 1000) }

// BenchmarkConnect10000Locks is the design target (10,000 locks in < 5 s,
// RSS < 300 MB with them connected).
func BenchmarkConnect10000Locks(b *testing.B) {
	if testing.Short() {
		b.Skip("10,000 connections: skipped with -short")
	}
	benchConnect(b, 10000)
}

const clientsEnv = "LOCKHUB_BENCH_CLIENTS" // "addr n" for the helper process

func benchConnect(b *testing.B, n int) {
	raiseFileLimit(b, uint64(n+1024))
	br := startBroker(b, devices.BrokerConfig{
		MaxClients:   n + 100,
		AuthThrottle: devices.AuthThrottleConfig{RemoteFailures: 1 << 30},
	}, devices.BrokerDeps{})
	runtime.GC()
	baseHeap, baseRSS := heapInuse(), vmRSS(b)
	var heap, stack, rss uint64
	var connect time.Duration
	b.ResetTimer()
	for range b.N {
		child, d := startClients(b, br.Addrs().TCP, n)
		connect += d
		b.StopTimer()
		runtime.GC()
		heap, stack, rss = heapInuse(), stackInuse(), vmRSS(b)
		if p := br.Presence(); len(p) != n || !p[n-1].Online {
			b.Fatalf("presence has %d locks, want %d online", len(p), n)
		}
		child.stop(b)
		eventually(b, "all disconnected", func() bool {
			return br.counter(b, "lockhub_mqtt_connections", "kind", "lock") == 0
		})
		b.StartTimer()
	}
	b.StopTimer()
	perOp := connect.Seconds() / float64(b.N)
	b.ReportMetric(perOp, "connect_s")
	b.ReportMetric(float64(n)/perOp, "locks/s")
	b.ReportMetric(float64(heap)/(1<<20), "heap_MiB")
	b.ReportMetric(float64(stack)/(1<<20), "stack_MiB")
	b.ReportMetric(float64(rss)/(1<<20), "rss_MiB")
	b.ReportMetric(float64(heap-min(heap, baseHeap))/float64(n)/1024, "heap_KiB/lock")
	b.ReportMetric(float64(rss-min(rss, baseRSS))/float64(n)/1024, "rss_KiB/lock")
}

type clientProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startClients runs the helper process that connects n locks and returns
// once all are connected, with the connect time it measured.
func startClients(tb testing.TB, addr string, n int) (*clientProcess, time.Duration) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchClientsHelper$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", clientsEnv, addr, n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &clientProcess{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	ns, ok := strings.CutPrefix(strings.TrimSpace(line), "ready ")
	d, perr := strconv.ParseInt(ns, 10, 64)
	if err != nil || !ok || perr != nil {
		p.stop(tb)
		tb.Fatalf("client process: %q, %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return p, time.Duration(d)
}

func (p *clientProcess) stop(tb testing.TB) {
	tb.Helper()
	_ = p.stdin.Close()
	if err := p.cmd.Wait(); err != nil {
		tb.Errorf("client process: %v", err)
	}
}

// TestBenchClientsHelper is not a test: it is the benchmarks' client
// process. It connects the locks, prints "ready <nanoseconds>", and holds
// the connections until its stdin closes.
func TestBenchClientsHelper(t *testing.T) {
	spec := os.Getenv(clientsEnv)
	if spec == "" {
		t.Skip("helper process for the connect benchmarks")
	}
	addr, ns, _ := strings.Cut(spec, " ")
	n, err := strconv.Atoi(ns)
	if err != nil {
		t.Fatal(err)
	}
	raiseFileLimit(t, uint64(n+256))
	connects := make([][]byte, n)
	for i := range connects {
		connects[i] = connectBytes(t, fmt.Sprintf("lock-%05d", i))
	}
	start := time.Now()
	conns := connectAll(t, addr, connects)
	fmt.Printf("ready %d\n", time.Since(start).Nanoseconds())
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}

// connectAll opens one authenticated connection per CONNECT packet, 64 at a
// time, and returns them open.
func connectAll(tb testing.TB, addr string, connects [][]byte) []net.Conn {
	conns := make([]net.Conn, len(connects))
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	next := make(chan int)
	for range 64 {
		wg.Go(func() {
			ack := make([]byte, 4)
			for i := range next {
				c, err := net.Dial("tcp", addr)
				if err == nil {
					_, err = c.Write(connects[i])
				}
				if err == nil {
					_, err = io.ReadFull(c, ack)
				}
				if err == nil && ack[3] != 0 {
					err = fmt.Errorf("CONNACK code %d", ack[3])
				}
				if err != nil {
					select {
					case errs <- fmt.Errorf("lock %d: %w", i, err):
					default:
					}
					continue
				}
				conns[i] = c
			}
		})
	}
	for i := range connects {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		tb.Fatal(err)
	default:
	}
	return conns
}

func connectBytes(tb testing.TB, lock string) []byte {
	pk := packets.Packet{
		FixedHeader:     packets.FixedHeader{Type: packets.Connect},
		ProtocolVersion: 4,
		Connect: packets.ConnectParams{
			ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 120, ClientIdentifier: lock,
			UsernameFlag: true, Username: []byte(lock), PasswordFlag: true, Password: []byte(secretOf(lock)),
		},
	}
	var buf bytes.Buffer
	if err := pk.ConnectEncode(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// stackInuse is the goroutine stack memory: mochi runs two goroutines per
// client (read loop and write loop).
func stackInuse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.StackInuse
}

func heapInuse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// vmRSS reads the process's resident set size from /proc/self/status.
func vmRSS(tb testing.TB) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb << 10
		}
	}
	tb.Fatal("no VmRSS in /proc/self/status")
	return 0
}

func raiseFileLimit(tb testing.TB, need uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Fatal(err)
	}
	if lim.Cur >= need {
		return
	}
	lim.Cur = need
	if lim.Max < need {
		lim.Max = need // needs privilege; checked below
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Skipf("open-file limit below %d and cannot be raised: %v", need, err)
	}
}
