// SPDX-License-Identifier: MIT
// Fork of mochi-mqtt v2.7.9 (see FORK.md): tests of the per-second sweeps
// that iterate under the read lock instead of copying maps.

package mqtt

import (
	"strconv"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"
)

func TestClientsRange(t *testing.T) {
	cl := NewClients()
	cl.Add(&Client{ID: "t1"})
	cl.Add(&Client{ID: "t2"})
	cl.Add(&Client{ID: "t3"})

	seen := map[string]bool{}
	cl.Range(func(id string, client *Client) bool {
		require.Equal(t, id, client.ID)
		seen[id] = true
		return true
	})
	require.Equal(t, map[string]bool{"t1": true, "t2": true, "t3": true}, seen)

	n := 0
	cl.Range(func(string, *Client) bool {
		n++
		return false
	})
	require.Equal(t, 1, n)
}

func TestInflightExpired(t *testing.T) {
	n := time.Now().Unix()
	i := NewInflights()
	require.False(t, i.anyExpired(n, 4))
	require.Nil(t, i.expired(n, 4))

	i.Set(packets.Packet{ProtocolVersion: 5, PacketID: 3, Created: n - 3}) // within bounds
	require.False(t, i.anyExpired(n, 4))
	require.Nil(t, i.expired(n, 4))

	i.Set(packets.Packet{ProtocolVersion: 5, PacketID: 1, Expiry: n - 1, Created: n - 1})
	i.Set(packets.Packet{PacketID: 5, Created: n - 5}) // over max server expiry limit
	require.True(t, i.anyExpired(n, 4))
	got := i.expired(n, 4)
	require.Len(t, got, 2)
	require.Equal(t, uint16(5), got[0].PacketID) // ordered like GetAll: by Created
	require.Equal(t, uint16(1), got[1].PacketID)
	require.Equal(t, 3, i.Len()) // expired deletes nothing

	require.True(t, i.anyExpired(n, 0)) // v5 expiry holds without a maximum
	require.Len(t, i.expired(n, 0), 1)
}

// newSweepServer returns a server with many connected clients, each with an
// unexpired inflight message, and many unexpired retained messages.
func newSweepServer(t *testing.T, clients int) (*Server, int64) {
	t.Helper()
	s := newServer()
	s.Options.Capabilities.MaximumMessageExpiryInterval = 60
	n := time.Now().Unix()
	for i := 0; i < clients; i++ {
		cl := s.NewClient(nil, "t", "cl"+strconv.Itoa(i), false)
		cl.State.Inflight.Set(packets.Packet{ProtocolVersion: 5, PacketID: 1, Created: n})
		s.Clients.Add(cl)
		s.Topics.Retained.Add("a/"+strconv.Itoa(i), packets.Packet{ProtocolVersion: 5, Created: n})
	}
	return s, n
}

// TestSweepsAllocateNothing: with nothing expired, the sweeps loop() runs
// every second copy no client, inflight or retained message.
func TestSweepsAllocateNothing(t *testing.T) {
	s, n := newSweepServer(t, 100)
	sweeps := map[string]func(int64){
		"clients":  s.clearExpiredClients,
		"retained": s.clearExpiredRetainedMessages,
		"inflight": s.clearExpiredInflights,
		"wills":    s.sendDelayedLWT,
	}
	for name, sweep := range sweeps {
		allocs := testing.AllocsPerRun(10, func() { sweep(n) })
		require.Zero(t, allocs, name)
	}
	require.Equal(t, 100, s.Clients.Len())
	require.Equal(t, 100, s.Topics.Retained.Len())
}

// TestSweepsDeleteOnlyExpired: the expired entries go, with their hooks, and
// nothing else does.
func TestSweepsDeleteOnlyExpired(t *testing.T) {
	s, n := newSweepServer(t, 10)
	h := new(sweepHook)
	require.NoError(t, s.AddHook(h, nil))

	s.Topics.Retained.Add("old", packets.Packet{ProtocolVersion: 5, Created: n - 61})
	s.clearExpiredRetainedMessages(n)
	require.Equal(t, 10, s.Topics.Retained.Len())
	require.Equal(t, []string{"old"}, h.retained)

	cl, _ := s.Clients.Get("cl3")
	cl.State.Inflight.Set(packets.Packet{ProtocolVersion: 5, PacketID: 2, Created: n - 61})
	s.clearExpiredInflights(n)
	require.Equal(t, 1, cl.State.Inflight.Len())
	require.Equal(t, []uint16{2, 2}, h.dropped) // once by the client, once by the server, as upstream

	cl.Stop(nil)
	cl.State.disconnected = n - 10
	cl.Properties.ProtocolVersion = 5
	cl.Properties.Props.SessionExpiryIntervalFlag = true
	cl.Properties.Props.SessionExpiryInterval = 5
	s.clearExpiredClients(n)
	require.Equal(t, 9, s.Clients.Len())
	require.Equal(t, []string{"cl3"}, h.expired)
	_, ok := s.Clients.Get("cl3")
	require.False(t, ok)
}

type sweepHook struct {
	HookBase
	retained []string
	dropped  []uint16
	expired  []string
}

func (h *sweepHook) ID() string { return "sweep" }

func (h *sweepHook) Provides(b byte) bool {
	return b == OnRetainedExpired || b == OnQosDropped || b == OnClientExpired
}

func (h *sweepHook) OnRetainedExpired(filter string) { h.retained = append(h.retained, filter) }

func (h *sweepHook) OnQosDropped(_ *Client, pk packets.Packet) {
	h.dropped = append(h.dropped, pk.PacketID)
}

func (h *sweepHook) OnClientExpired(cl *Client) { h.expired = append(h.expired, cl.ID) }
