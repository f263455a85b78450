package devices_test

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	paho3packets "github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/lockhub/lockhub/devices"
)

// stableGoroutines polls runtime.NumGoroutine until it has not changed for
// 200 ms (or waitFor passes) and returns it.
func stableGoroutines(tb testing.TB) int {
	tb.Helper()
	deadline := time.Now().Add(waitFor)
	last, same := runtime.NumGoroutine(), 0
	for same < 10 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		n := runtime.NumGoroutine()
		if n == last {
			same++
		} else {
			last, same = n, 0
		}
	}
	return last
}

// waitGoroutines polls until cond holds for runtime.NumGoroutine.
func waitGoroutines(tb testing.TB, what string, cond func(n int) bool) {
	tb.Helper()
	deadline := time.Now().Add(waitFor)
	for n := runtime.NumGoroutine(); !cond(n); n = runtime.NumGoroutine() {
		if time.Now().After(deadline) {
			tb.Fatalf("goroutines = %d: timed out waiting for %s", n, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// connectLock connects a lock over raw TCP (no client goroutines, so the
// process's goroutine count is the broker's) and subscribes it to its
// command topic at qos.
func connectLock(tb testing.TB, addr, lock string, qos byte) net.Conn {
	tb.Helper()
	return connectLockTo(tb, addr, lock, qos, devices.KindCmd)
}

// connectLockTo connects a lock like connectLock and subscribes it, in one
// SUBSCRIBE, to its topics of the given kinds at qos.
func connectLockTo(tb testing.TB, addr, lock string, qos byte, kinds ...string) net.Conn {
	tb.Helper()
	conn, code := rawConnect(tb, addr, packets.ConnectParams{
		ClientIdentifier: lock, Username: []byte(lock), Password: []byte(secretOf(lock)), Keepalive: 60,
	})
	if code != 0 {
		tb.Fatalf("connect %s: CONNACK code %d", lock, code)
	}
	sub := packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1},
		PacketID:    1,
	}
	for _, k := range kinds {
		sub.Filters = append(sub.Filters, packets.Subscription{Filter: devices.LockTopic(lock, k), Qos: qos})
	}
	var buf bytes.Buffer
	if err := sub.SubscribeEncode(&buf); err != nil {
		tb.Fatalf("encode subscribe: %v", err)
	}
	if _, err := conn.Write(buf.Bytes()); err != nil {
		tb.Fatalf("write subscribe: %v", err)
	}
	ack := readPacket(tb, conn)
	sa, ok := ack.(*paho3packets.SubackPacket)
	if !ok || len(sa.ReturnCodes) != len(kinds) {
		tb.Fatalf("%s: subscribe answered %v, want SUBACK with %d codes", lock, ack, len(kinds))
	}
	for _, c := range sa.ReturnCodes {
		if c != qos {
			tb.Fatalf("%s: subscribe answered %v, want SUBACK granting QoS %d", lock, ack, qos)
		}
	}
	return conn
}

func readPacket(tb testing.TB, conn net.Conn) paho3packets.ControlPacket {
	tb.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(waitFor))
	defer func() { _ = conn.SetReadDeadline(time.Time{}) }()
	pk, err := paho3packets.ReadPacket(conn)
	if err != nil {
		tb.Fatalf("read packet: %v", err)
	}
	return pk
}

// TestIdleLocksCostOneGoroutineEach checks the fork of mochi in
// internal/third_party/mochi (FORK.md): an idle connection runs only its reader, a
// message to an idle lock starts a writer that exits once the queue is
// empty, and a lock that disconnects while its writer is blocked leaves no
// goroutine behind. Upstream mochi ran a reader and a writer per connection.
func TestIdleLocksCostOneGoroutineEach(t *testing.T) {
	b := startBroker(t, devices.BrokerConfig{}, devices.BrokerDeps{})
	addr := b.Addrs().TCP
	base := stableGoroutines(t)

	const n = 50
	conns := make([]net.Conn, n)
	for i := range n {
		// lock-1 reads commands at QoS 0: mochi allocates a QoS 1 packet id
		// under the client's write mutex, so a QoS 1 command to a lock whose
		// writer is blocked would block SendCommand too (as upstream).
		qos := byte(1)
		if i == 1 {
			qos = 0
		}
		conns[i] = connectLock(t, addr, fmt.Sprintf("lock-%d", i), qos)
	}
	idle := stableGoroutines(t)
	t.Logf("goroutines: %d before, %d with %d idle locks", base, idle, n)
	if grew := idle - base; grew < n-5 || grew > n+5 {
		t.Fatalf("%d idle locks added %d goroutines, want about %d (one per connection, not two)", n, grew, n)
	}

	// A command to an idle lock arrives, and its writer goes away again.
	if err := b.SendCommand("lock-0", []byte(`{"op":"unlock"}`)); err != nil {
		t.Fatalf("SendCommand: %v", err)
	}
	pub, ok := readPacket(t, conns[0]).(*paho3packets.PublishPacket)
	if !ok || pub.TopicName != devices.LockTopic("lock-0", devices.KindCmd) || string(pub.Payload) != `{"op":"unlock"}` {
		t.Fatalf("lock-0 got %v, want its command", pub)
	}
	waitGoroutines(t, "the writer to exit after the command", func(g int) bool { return g <= idle })

	// lock-1 stops reading: commands fill the sockets' buffers and its
	// writer blocks in a write. When lock-1 hangs up, its reader and the
	// blocked writer both end.
	payload := bytes.Repeat([]byte("x"), 60<<10)
	for range 400 { // 24 MiB, beyond what loopback buffers hold
		if err := b.SendCommand("lock-1", payload); err != nil {
			t.Fatalf("SendCommand: %v", err)
		}
	}
	waitGoroutines(t, "a writer for lock-1", func(g int) bool { return g >= idle+1 })
	if err := conns[1].Close(); err != nil {
		t.Fatal(err)
	}
	waitGoroutines(t, "lock-1's reader and writer to end", func(g int) bool { return g <= idle-1 })
	if left := stableGoroutines(t); left > idle-1 {
		t.Fatalf("after lock-1 left: %d goroutines, want at most %d", left, idle-1)
	}

	// The other locks are still served.
	if err := b.SendCommand("lock-2", []byte(`{"op":"lock"}`)); err != nil {
		t.Fatalf("SendCommand: %v", err)
	}
	if pub, ok := readPacket(t, conns[2]).(*paho3packets.PublishPacket); !ok || string(pub.Payload) != `{"op":"lock"}` {
		t.Fatalf("lock-2 got %v, want its command", pub)
	}
}

// TestIdleLockStackIsSmall checks the other half of the fork's per-connection
// saving: the connection's goroutine, parked waiting for the next packet,
// keeps only small frames on its stack (the handshake and the packet being
// handled live in frames that have returned), so garbage collections shrink
// its stack to 4 KiB (8 KiB under the race detector). With upstream's frame
// layout it stays at 16 KiB: 160 MiB for 10,000 locks.
func TestIdleLockStackIsSmall(t *testing.T) {
	b := startBroker(t, devices.BrokerConfig{}, devices.BrokerDeps{})
	addr := b.Addrs().TCP
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.StackInuse
	const n = 200
	for i := range n {
		connectLock(t, addr, fmt.Sprintf("lock-%d", i), 1)
	}
	for range 3 { // each collection halves a stack at most once
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	perConn := float64(ms.StackInuse-before) / n / 1024
	t.Logf("stack per idle connection after 3 collections: %.1f KiB", perConn)
	if perConn > 12 {
		t.Fatalf("stack per idle connection = %.1f KiB, want at most 12 (upstream's layout keeps 16)", perConn)
	}
}

// TestSubscribingLockStackStaysSmall measures the stack a lock's connection
// goroutine grows to while it connects and subscribes, in one SUBSCRIBE, to
// its res, ack and cmd topics, as the lock simulator does. Each topic holds a
// retained message, so the broker delivers one per subscription: lockhub
// never retains on these topics (RetainForTest), so this is the worst case.
// Without them the figures are the same: the broker's retained $SYS topics
// make every subscription look its filter up among the retained messages
// (TopicsIndex.scanMessages, upstream's deepest frame). The collector is off
// while the locks connect, so no collection shrinks a stack before it is
// read. A stack doubles when it overflows: with upstream mochi's frames
// (packets.Packet, 816 bytes, passed by value down the read and SUBSCRIBE
// paths) a connection needed 18.8 KiB and kept 32 KiB until later collections
// shrank it, 320 MiB for 10,000 locks. The fork's (FORK.md, change 6) need
// under 8 KiB: 8 KiB per connection, 16 under the race detector, whose frames
// and stack guard are larger. The test asserts 16.
func TestSubscribingLockStackStaysSmall(t *testing.T) {
	b := startBroker(t, devices.BrokerConfig{}, devices.BrokerDeps{})
	addr := b.Addrs().TCP
	kinds := []string{devices.KindRes, devices.KindAck, devices.KindCmd}
	const n = 200
	locks := make([]string, n+1) // locks[n] warms up
	for i := range locks {
		locks[i] = fmt.Sprintf("lock-%d", i)
		for _, k := range kinds {
			if err := b.RetainForTest(devices.LockTopic(locks[i], k), []byte(k)); err != nil {
				t.Fatalf("retain: %v", err)
			}
		}
	}
	subscribe := func(lock string) {
		conn := connectLockTo(t, addr, lock, 1, kinds...)
		for range kinds {
			pub, ok := readPacket(t, conn).(*paho3packets.PublishPacket)
			if !ok || !pub.Retain || !strings.HasPrefix(pub.TopicName, devices.LockTopic(lock, "")) {
				t.Fatalf("%s got %v, want a retained message on its own topics", lock, pub)
			}
		}
	}
	subscribe(locks[n]) // the test's own goroutine grows its stack here, not below

	var ms runtime.MemStats
	runtime.GC()
	old := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	runtime.ReadMemStats(&ms)
	before := ms.StackInuse
	for _, lock := range locks[:n] {
		subscribe(lock)
	}
	stableGoroutines(t) // the writers that delivered the retained messages have exited
	runtime.ReadMemStats(&ms)
	perConn := float64(ms.StackInuse-before) / n / 1024
	t.Logf("stack per connection after CONNECT and SUBSCRIBE, no collection: %.1f KiB", perConn)
	if perConn > 18 { // 16 KiB, and slack for the stacks of other goroutines
		t.Fatalf("stack per connection = %.1f KiB, want at most 16: the peak overflowed a 16 KiB stack, which doubled", perConn)
	}
}
