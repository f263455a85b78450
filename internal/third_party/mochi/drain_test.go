// SPDX-License-Identifier: MIT
// Fork of mochi-mqtt v2.7.9 (see FORK.md): tests of the on-demand drain that
// replaced the per-client WriteLoop goroutine.

package mqtt

import (
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"
)

// waitWriter waits until the client's writer word equals want.
func waitWriter(t *testing.T, cl *Client, want uint32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for cl.State.writer.Load() != want {
		if time.Now().After(deadline) {
			t.Fatalf("writer = %b, want %b", cl.State.writer.Load(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func pingresp() *packets.Packet {
	return &packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pingresp}}
}

func TestClientDrainOnDemand(t *testing.T) {
	cl, r, _ := newTestClient()
	defer cl.Stop(errClientStop)
	require.Equal(t, uint32(0), cl.State.writer.Load()) // nothing runs for an idle client

	pk := packets.TPacketData[packets.Publish].Get(packets.TPublishBasic)
	cl.Properties.ProtocolVersion = pk.Packet.ProtocolVersion
	for round := 0; round < 3; round++ { // each round starts a drain anew
		require.True(t, cl.enqueue(pk.Packet))
		buf := make([]byte, len(pk.RawBytes))
		_, err := io.ReadFull(r, buf)
		require.NoError(t, err)
		require.Equal(t, pk.RawBytes, buf)
		waitWriter(t, cl, 0)
		require.Equal(t, int32(0), atomic.LoadInt32(&cl.State.outboundQty))
	}
}

func TestClientEnqueueFull(t *testing.T) {
	cl, _, _ := newTestClient()
	cl.State.writer.Store(writerRunning) // as if a drain were stuck: nothing consumes
	for i := 0; i < cap(cl.State.outbound); i++ {
		require.True(t, cl.enqueue(pingresp()))
	}
	require.False(t, cl.enqueue(pingresp()))
	require.Equal(t, int32(cap(cl.State.outbound)), atomic.LoadInt32(&cl.State.outboundQty))
}

// TestClientDrainNoLostWakeup has many goroutines queue packets while drains
// start and stop: every packet must be written (a lost wake-up would leave
// some in the queue with no drain running).
func TestClientDrainNoLostWakeup(t *testing.T) {
	cl, r, _ := newTestClient()
	defer cl.Stop(errClientStop)
	cl.State.outbound = make(chan *packets.Packet, 16)

	const producers, each = 4, 3000
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				for !cl.enqueue(pingresp()) {
					runtime.Gosched()
				}
				if i%50 == 0 {
					time.Sleep(50 * time.Microsecond) // let the queue run empty
				}
			}
		}()
	}

	_ = r.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 2*producers*each) // a PINGRESP is 2 bytes
	_, err := io.ReadFull(r, buf)
	require.NoError(t, err)
	wg.Wait()
	waitWriter(t, cl, 0)
	require.Equal(t, 0, len(cl.State.outbound))
	require.Equal(t, int32(0), atomic.LoadInt32(&cl.State.outboundQty))
}

// TestClientDrainNoLostWakeupRounds queues small bursts from two goroutines
// and waits for each burst to arrive before the next, so that packets often
// arrive just as a drain is finding the queue empty and releasing it; the
// last packet of a burst lost that way would never be written.
func TestClientDrainNoLostWakeupRounds(t *testing.T) {
	cl, r, _ := newTestClient()
	defer cl.Stop(errClientStop)
	cl.State.outbound = make(chan *packets.Packet, 16)

	const rounds, burst = 20000, 3
	start := make(chan struct{})
	var wg sync.WaitGroup
	for p := 0; p < 2; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range start {
				for i := 0; i < burst; i++ {
					for !cl.enqueue(pingresp()) {
						runtime.Gosched()
					}
				}
			}
		}()
	}
	defer wg.Wait()
	defer close(start)

	buf := make([]byte, 2*2*burst)
	for round := 0; round < rounds; round++ {
		start <- struct{}{}
		start <- struct{}{}
		_ = r.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := io.ReadFull(r, buf)
		require.NoError(t, err, "round %d", round)
	}
}

// TestClientStopWriterWaitsForDrain: a drain blocked in a write ends when the
// connection is stopped, stopWriter returns only after it has, and no drain
// starts afterwards.
func TestClientStopWriterWaitsForDrain(t *testing.T) {
	cl, _, _ := newTestClient() // nobody reads the pipe: the first write blocks
	require.True(t, cl.enqueue(pingresp()))
	waitWriter(t, cl, writerRunning)

	stopped := make(chan struct{})
	go func() {
		cl.Stop(errClientStop)
		cl.stopWriter()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("stopWriter did not return")
	}
	require.Equal(t, writerClosed, cl.State.writer.Load()) // the drain has released the queue

	require.True(t, cl.enqueue(pingresp())) // queued, but no drain starts
	require.Equal(t, writerClosed, cl.State.writer.Load())
	cl.stopWriter() // a second call returns at once
}

func TestClientStopWriterIdle(t *testing.T) {
	cl, _, _ := newTestClient()
	cl.Stop(errClientStop)
	cl.stopWriter()
	require.Equal(t, writerClosed, cl.State.writer.Load())
	cl.startDrain()
	require.Equal(t, writerClosed, cl.State.writer.Load())
}

// TestClientDrainFlushesAfterFailedWrite: WritePacket buffers while more
// packets are queued; when the last queued packet cannot be written (too
// large for the client), the drain still flushes what was buffered.
func TestClientDrainFlushesAfterFailedWrite(t *testing.T) {
	cl, r, _ := newTestClient()
	defer cl.Stop(errClientStop)
	cl.ops.options.ClientNetWriteBufferSize = 1024
	cl.Properties.Props.MaximumPacketSize = 16

	small := packets.TPacketData[packets.Publish].Get(packets.TPublishNoPayload)
	large := *packets.TPacketData[packets.Publish].Get(packets.TPublishBasic).Packet
	large.Payload = make([]byte, 64)
	cl.Properties.ProtocolVersion = small.Packet.ProtocolVersion

	cl.State.writer.Store(writerRunning) // queue both before any drain runs
	require.True(t, cl.enqueue(small.Packet))
	require.True(t, cl.enqueue(&large))
	cl.State.writer.Store(0)
	cl.startDrain()

	_ = r.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, len(small.RawBytes))
	_, err := io.ReadFull(r, buf)
	require.NoError(t, err)
	require.Equal(t, small.RawBytes, buf)
	waitWriter(t, cl, 0)
}

// TestServerConnectionHasNoIdleWriter runs a connection through the server:
// no drain runs while it idles, a delivery starts one that then exits, and
// when the connection ends no drain can start again.
func TestServerConnectionHasNoIdleWriter(t *testing.T) {
	s := newServer()
	defer s.Close()

	r, w := net.Pipe()
	done := make(chan error)
	go func() { done <- s.EstablishConnection("tcp", r) }()

	connect := packets.TPacketData[packets.Connect].Get(packets.TConnectMqtt311)
	_, err := w.Write(connect.RawBytes)
	require.NoError(t, err)
	connack := make([]byte, len(packets.TPacketData[packets.Connack].Get(packets.TConnackAcceptedNoSession).RawBytes))
	_, err = io.ReadFull(w, connack)
	require.NoError(t, err)

	var cl *Client
	require.Eventually(t, func() bool {
		var ok bool
		cl, ok = s.Clients.Get(connect.Packet.Connect.ClientIdentifier)
		return ok
	}, 5*time.Second, time.Millisecond)
	require.Equal(t, uint32(0), cl.State.writer.Load())

	pk := packets.TPacketData[packets.Publish].Get(packets.TPublishBasic)
	for i := 0; i < 2; i++ {
		_, err = s.publishToClient(cl, packets.Subscription{Filter: pk.Packet.TopicName}, pk.Packet)
		require.NoError(t, err)
		buf := make([]byte, len(pk.RawBytes))
		_, err = io.ReadFull(w, buf)
		require.NoError(t, err)
		require.Equal(t, pk.RawBytes, buf)
		waitWriter(t, cl, 0)
	}

	_, err = w.Write(packets.TPacketData[packets.Disconnect].Get(packets.TDisconnect).RawBytes)
	require.NoError(t, err)
	require.NoError(t, <-done)
	require.Equal(t, writerClosed, cl.State.writer.Load())
	_ = w.Close()
}

// TestServerOutboundQueuePerClient: the queue is made at session
// establishment, as long as a hook asked for, else the capability's length;
// a connection refused at CONNECT gets none.
func TestServerOutboundQueuePerClient(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  int32
		want int
	}{
		{"default", 0, 1024},
		{"set by hook", 4, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer()
			defer s.Close()
			s.Options.Capabilities.MaximumClientWritesPending = 1024
			require.NoError(t, s.AddHook(&writesPendingHook{n: tt.set}, nil))

			r, w := net.Pipe()
			cl := s.NewClient(r, "tcp", "", false)
			require.Nil(t, cl.State.outbound) // not before CONNECT
			done := make(chan error)
			go func() { done <- s.attachClient(cl, "tcp") }()

			_, err := w.Write(packets.TPacketData[packets.Connect].Get(packets.TConnectMqtt311).RawBytes)
			require.NoError(t, err)
			connack := make([]byte, len(packets.TPacketData[packets.Connack].Get(packets.TConnackAcceptedNoSession).RawBytes))
			_, err = io.ReadFull(w, connack)
			require.NoError(t, err)
			cl.Lock()
			require.Equal(t, tt.want, cap(cl.State.outbound))
			cl.Unlock()

			_, err = w.Write(packets.TPacketData[packets.Disconnect].Get(packets.TDisconnect).RawBytes)
			require.NoError(t, err)
			require.NoError(t, <-done)
			_ = w.Close()
		})
	}
}

func TestServerNoOutboundQueueForRefusedClient(t *testing.T) {
	s := New(&Options{Logger: logger}) // no auth hook: every client is refused
	defer s.Close()

	r, w := net.Pipe()
	cl := s.NewClient(r, "tcp", "", false)
	done := make(chan error)
	go func() { done <- s.attachClient(cl, "tcp") }()
	_, err := w.Write(packets.TPacketData[packets.Connect].Get(packets.TConnectMqtt311).RawBytes)
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, w) }()
	require.ErrorIs(t, <-done, packets.ErrBadUsernameOrPassword)
	require.Nil(t, cl.State.outbound)
	require.False(t, cl.enqueue(pingresp())) // a nil queue is always full
	_ = w.Close()
}

// writesPendingHook sets MaximumWritesPending in OnSessionEstablish.
type writesPendingHook struct {
	HookBase
	n int32
}

func (h *writesPendingHook) ID() string { return "writes-pending" }

func (h *writesPendingHook) Provides(b byte) bool { return b == OnSessionEstablish }

func (h *writesPendingHook) OnSessionEstablish(cl *Client, _ packets.Packet) {
	if h.n > 0 {
		cl.State.MaximumWritesPending = h.n
	}
}
