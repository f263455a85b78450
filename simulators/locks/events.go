package locks

import (
	"context"
	"sync"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
)

// pendingEvent is a door event waiting for the hub's ack. Its payload is
// built once, so every resend is byte for byte the same (docs/protocol.md
// §7.3 rule 1).
type pendingEvent struct {
	boot    uint32
	seq     uint64
	kind    wire.EventKind
	payload []byte
	sent    bool
	due     time.Time     // next resend (when sent)
	backoff time.Duration // delay after the next resend
}

// eventQueue holds the unacknowledged door events, oldest first.
type eventQueue struct {
	mu       sync.Mutex
	seq      uint64
	q        []*pendingEvent
	inflight int
	wake     chan struct{} // cap 1
}

func (e *eventQueue) init() { e.wake = make(chan struct{}, 1) }

func (l *Lock) wakeEvents() {
	select {
	case l.events.wake <- struct{}{}:
	default:
	}
}

// DoorEvent records a door event with the next sequence number and queues
// it; it is published (QoS 1) as soon as the lock is online with fewer than
// EventsInFlight events unacknowledged, and resent until the hub acks it. A
// battery_low event carries the lock's battery level (10 % when mains
// powered). It returns the event's sequence number.
func (l *Lock) DoorEvent(kind wire.EventKind) uint64 {
	now := l.Now()
	ev := wire.DoorEvent{Boot: l.cfg.Boot, Kind: kind, At: now.UnixMilli()}
	l.door.mu.Lock()
	switch kind {
	case wire.EventOpened, wire.EventForced, wire.EventHeldOpen:
		l.door.door = wire.DoorOpen
	case wire.EventClosed:
		l.door.door = wire.DoorClosed
	case wire.EventBatteryLow:
		ev.Battery, ev.HasBattery = l.door.battery, true
		if ev.Battery == 0 {
			ev.Battery = 10
		}
	}
	l.door.mu.Unlock()

	e := &l.events
	e.mu.Lock()
	e.seq++
	ev.Seq = e.seq
	e.q = append(e.q, &pendingEvent{boot: ev.Boot, seq: ev.Seq, kind: kind, payload: wire.AppendDoorEvent(nil, &ev)})
	if len(e.q) > l.cfg.EventQueue {
		l.dropOneLocked()
	}
	l.stats.events.Add(1)
	e.mu.Unlock()
	if kind != wire.EventBatteryLow && kind != wire.EventTamper {
		l.markStateDirty() // the door changed
	}
	l.wakeEvents()
	return ev.Seq
}

// dropOneLocked makes room in a full queue: the oldest opened or closed event
// goes first, then the oldest battery_low, then the oldest of any kind;
// forced, tamper and held_open are kept longest (docs/protocol.md §7.3).
func (l *Lock) dropOneLocked() {
	e := &l.events
	victim := -1
	for _, kinds := range [][]wire.EventKind{{wire.EventOpened, wire.EventClosed}, {wire.EventBatteryLow}} {
		for i, p := range e.q {
			for _, k := range kinds {
				if p.kind == k {
					victim = i
					break
				}
			}
			if victim >= 0 {
				break
			}
		}
		if victim >= 0 {
			break
		}
	}
	if victim < 0 {
		victim = 0
	}
	if e.q[victim].sent {
		e.inflight--
	}
	e.q = append(e.q[:victim], e.q[victim+1:]...)
	l.stats.eventsDropped.Add(1)
}

// reconnected makes every sent, unacknowledged event due now: they are
// resent, oldest first, right after the (re)connect.
func (e *eventQueue) reconnected() {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	for _, p := range e.q {
		if p.sent {
			p.due = now
		}
	}
}

// handleAck removes the acknowledged event; acks matching nothing (a second
// ack for a resent event) are counted and ignored.
func (l *Lock) handleAck(payload []byte) {
	var a wire.Ack
	if err := wire.DecodeAck(payload, &a); err != nil {
		l.stats.badAcks.Add(1)
		l.log.Debug("lock ack refused", "error", err)
		return
	}
	e := &l.events
	e.mu.Lock()
	found := false
	for i, p := range e.q {
		if p.boot == a.Boot && p.seq == a.Seq {
			if p.sent {
				e.inflight--
			}
			e.q = append(e.q[:i], e.q[i+1:]...)
			found = true
			l.stats.eventsAcked.Add(1) // counted while the queue still shows it
			break
		}
	}
	e.mu.Unlock()
	if !found {
		l.stats.unmatchedAcks.Add(1)
		return
	}
	l.wakeEvents()
}

// Unacked returns how many door events wait for an ack.
func (l *Lock) Unacked() int {
	l.events.mu.Lock()
	defer l.events.mu.Unlock()
	return len(l.events.q)
}

// eventLoop publishes queued events and resends unacknowledged ones.
func (l *Lock) eventLoop(ctx context.Context) {
	defer close(l.evDone)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		next := l.pumpEvents()
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		if !next.IsZero() {
			t.Reset(max(time.Until(next), time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-l.events.wake:
		case <-t.C:
		}
	}
}

// pumpEvents publishes what is due and returns when the next resend is due
// (zero: nothing is waiting on a timer).
func (l *Lock) pumpEvents() time.Time {
	tr := l.conn()
	if tr == nil {
		return time.Time{}
	}
	e := &l.events
	now := time.Now()
	var out []*pendingEvent
	e.mu.Lock()
	for _, p := range e.q {
		switch {
		case p.sent && !now.Before(p.due):
			p.due = now.Add(p.backoff)
			p.backoff = min(2*p.backoff, l.cfg.EventResendMax)
			out = append(out, p)
			l.stats.eventResends.Add(1)
		case !p.sent && e.inflight < l.cfg.EventsInFlight:
			p.sent = true
			e.inflight++
			p.due = now.Add(l.cfg.EventResend)
			p.backoff = min(2*l.cfg.EventResend, l.cfg.EventResendMax)
			out = append(out, p)
		}
	}
	var next time.Time
	for _, p := range e.q {
		if p.sent && (next.IsZero() || p.due.Before(next)) {
			next = p.due
		}
	}
	payloads := make([][]byte, len(out))
	for i, p := range out {
		payloads[i] = p.payload
	}
	e.mu.Unlock()
	for _, pl := range payloads {
		if err := tr.publish(publication{topic: l.topics.evt, qos: 1, payload: pl}); err != nil {
			l.log.Debug("lock event not published", "error", err)
			continue
		}
		l.stats.eventPublishes.Add(1)
	}
	return next
}
