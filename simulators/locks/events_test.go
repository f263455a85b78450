package locks_test

import (
	"context"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/simulators/locks"
)

func TestEventsResentUntilAcked(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			hub, url := startHub(t)
			const dropped = 5
			hub.dropAcks.Store(dropped)
			id := lockName(t, "a")
			cfg := lockConfig(url, id, p)
			cfg.EventResend = 30 * time.Millisecond
			cfg.EventResendMax = 60 * time.Millisecond
			l := startLock(t, cfg)
			kinds := []wire.EventKind{wire.EventOpened, wire.EventClosed, wire.EventForced}
			for i, k := range kinds {
				if seq := l.DoorEvent(k); seq != uint64(i+1) {
					t.Fatalf("seq = %d, want %d", seq, i+1)
				}
			}
			eventually(t, "every event acked", func() bool { return l.Unacked() == 0 })

			hub.mu.Lock()
			defer hub.mu.Unlock()
			copies := 0
			for i, k := range kinds {
				key := evKey{id, l.Boot(), uint64(i + 1)}
				if e, ok := hub.stored[key]; !ok || e.Kind != k {
					t.Errorf("event %v stored as %+v", key, e)
				}
				if hub.acked[key] == 0 {
					t.Errorf("event %v never acked", key)
				}
				copies += hub.copies[key]
			}
			if len(hub.stored) != len(kinds) {
				t.Errorf("hub stored %d events, want %d", len(hub.stored), len(kinds))
			}
			// Every dropped ack forced a resend of its event.
			if copies < len(kinds)+dropped {
				t.Errorf("hub got %d copies, want at least %d", copies, len(kinds)+dropped)
			}
			if st := l.Stats(); st.EventResends < dropped || st.EventsAcked != uint64(len(kinds)) {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestOfflineLockResendsUnackedEvents(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			hub, url := startHub(t)
			hub.ackOff.Store(true)
			id := lockName(t, "a")
			cfg := lockConfig(url, id, p)
			cfg.EventResend = time.Hour // only a reconnect resends in this test
			l := startLock(t, cfg)
			l.DoorEvent(wire.EventOpened)
			l.DoorEvent(wire.EventHeldOpen)
			eventually(t, "events received", func() bool {
				hub.mu.Lock()
				defer hub.mu.Unlock()
				return len(hub.copies) == 2
			})
			if err := l.GoOffline(context.Background(), 100*time.Millisecond, false); err != nil {
				t.Fatal(err)
			}
			hub.ackOff.Store(false)
			l.DoorEvent(wire.EventClosed) // recorded while offline
			if l.Online() || l.Unacked() != 3 {
				t.Fatalf("online=%v unacked=%d, want offline with 3", l.Online(), l.Unacked())
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			if err := l.WaitOnline(ctx); err != nil {
				t.Fatal(err)
			}
			eventually(t, "every event acked", func() bool { return l.Unacked() == 0 })
			hub.mu.Lock()
			defer hub.mu.Unlock()
			for seq := uint64(1); seq <= 2; seq++ {
				if n := hub.copies[evKey{id, l.Boot(), seq}]; n != 2 {
					t.Errorf("event %d reached the hub %d times, want 2 (sent, resent on reconnect)", seq, n)
				}
			}
			if n := hub.copies[evKey{id, l.Boot(), 3}]; n != 1 {
				t.Errorf("event 3 reached the hub %d times, want 1", n)
			}
			if st := l.Stats(); st.Reconnects != 1 || st.OfflinePeriods != 1 || st.ConnectionsLost != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestEventQueueDropsRoutineEventsFirst(t *testing.T) {
	hub, url := startHub(t)
	hub.ackOff.Store(true)
	id := lockName(t, "a")
	cfg := lockConfig(url, id, locks.MQTT311)
	cfg.EventQueue = 4
	cfg.EventsInFlight = 4
	l := startLock(t, cfg)
	for _, k := range []wire.EventKind{wire.EventOpened, wire.EventForced, wire.EventClosed, wire.EventTamper, wire.EventHeldOpen, wire.EventOpened} {
		l.DoorEvent(k)
	}
	if st := l.Stats(); st.EventsDropped != 2 || st.EventsUnacked != 4 {
		t.Fatalf("stats = %+v, want 2 dropped, 4 queued", st)
	}
	// The queue keeps forced (2), tamper (4), held_open (5) and the newest
	// opened (6): resending after a reconnect shows which.
	eventually(t, "queued events sent", func() bool {
		hub.mu.Lock()
		defer hub.mu.Unlock()
		return len(hub.copies) >= 4
	})
	hub.ackOff.Store(false)
	if err := l.GoOffline(context.Background(), 10*time.Millisecond, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "acked", func() bool { return l.Unacked() == 0 })
	hub.mu.Lock()
	defer hub.mu.Unlock()
	for _, seq := range []uint64{2, 4, 5, 6} {
		if hub.acked[evKey{id, l.Boot(), seq}] == 0 {
			t.Errorf("event %d was not kept", seq)
		}
	}
}

func TestLastWillMarksOffline(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			hub, url := startHub(t)
			id := lockName(t, "a")
			cfg := lockConfig(url, id, p)
			cfg.Heartbeat = 20 * time.Millisecond
			l := startLock(t, cfg)
			// Heartbeats re-publish the retained state.
			eventually(t, "heartbeats", func() bool { return hub.statesOf(id, true) >= 3 })

			// A clean disconnect sends no will.
			if err := l.GoOffline(context.Background(), 10*time.Millisecond, false); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			if err := l.WaitOnline(ctx); err != nil {
				t.Fatal(err)
			}
			// A dropped connection does.
			if err := l.GoOffline(context.Background(), time.Hour, true); err != nil {
				t.Fatal(err)
			}
			eventually(t, "will", func() bool { return hub.statesOf(id, false) == 1 })
			last, _ := hub.lastState(id)
			if last.online || last.boot != l.Boot() {
				t.Errorf("last state = %+v, want offline with boot %d", last, l.Boot())
			}
			time.Sleep(50 * time.Millisecond) // no heartbeat while offline
			if last2, _ := hub.lastState(id); last2 != last {
				t.Errorf("state after the will = %+v", last2)
			}
		})
	}
}

func TestLockReconnectsAfterConnectionLoss(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			_, url := startHub(t)
			id := lockName(t, "a")
			a := startLock(t, lockConfig(url, id, p))
			// A second lock with the same client id takes the session over:
			// the broker drops the first, which reconnects (and takes it back).
			b := startLock(t, lockConfig(url, id, p))
			eventually(t, "connection lost", func() bool { return a.Stats().ConnectionsLost >= 1 })
			b.Close()
			eventually(t, "back online", func() bool {
				r, _, err := a.Tap(context.Background(), wire.TypeCard, knownCard)
				return err == nil && r.Granted()
			})
			if st := a.Stats(); st.Reconnects < 1 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}
