package locks

import (
	"testing"

	"github.com/lockhub/lockhub/devices/wire"
)

// FuzzInbound feeds arbitrary payloads to an unconnected lock as if the hub
// had sent them on res, ack or cmd (retained or not). Whatever the bytes,
// the lock must not panic, and each message must move exactly one counter:
// a reply is delivered, ignored (duplicate, late, unmatched) or refused; an
// ack removes an event, matches nothing or is refused; a command is
// executed or refused for one reason.
func FuzzInbound(f *testing.F) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	l, err := NewLock(LockConfig{
		Identity:  Identity{ID: "door-1", Secret: "s", CommandKey: key},
		BrokerURL: "tcp://127.0.0.1:1", Boot: 305419896,
	}, nil)
	if err != nil {
		f.Fatal(err)
	}
	l.DoorEvent(wire.EventOpened) // seq 1 is queued; an ack for it may arrive
	f.Add(byte(0), []byte(`{"v":1,"id":"r-1","result":"granted","reason":"allowed","unlock_ms":5000}`), false)
	f.Add(byte(1), []byte(`{"v":1,"boot":305419896,"seq":1}`), false)
	f.Add(byte(2), []byte(`{"v":1,"cmd":"unlock","lock":"door-1","nonce":"00112233445566778899aabbccddeeff","iat":1767225600000,"exp":1767225630000,"args":{"ms":5000},"mac":"fcdb2c0054e2b1fc0f44d050c3225fc030b3cd5b0c2bf993f25851de3f1d5db4"}`), false)
	f.Fuzz(func(t *testing.T, topic byte, payload []byte, retained bool) {
		before := l.Stats()
		refusals := sumMap(l.Refusals())
		accepted := sumAccepted(l)
		switch topic % 3 {
		case 0:
			l.onMessage(inbound{topic: l.topics.res, payload: payload, correlation: nil})
			a := l.Stats()
			moved := (a.Replies - before.Replies) + (a.DuplicateReplies - before.DuplicateReplies) +
				(a.LateReplies - before.LateReplies) + (a.UnmatchedReplies - before.UnmatchedReplies) +
				(a.BadReplies - before.BadReplies)
			if moved != 1 {
				t.Fatalf("reply moved %d counters", moved)
			}
		case 1:
			l.onMessage(inbound{topic: l.topics.ack, payload: payload})
			a := l.Stats()
			moved := (a.EventsAcked - before.EventsAcked) + (a.UnmatchedAcks - before.UnmatchedAcks) +
				(a.BadAcks - before.BadAcks)
			if moved != 1 {
				t.Fatalf("ack moved %d counters", moved)
			}
		case 2:
			l.onMessage(inbound{topic: l.topics.cmd, payload: payload, retained: retained})
			moved := (sumMap(l.Refusals()) - refusals) + (sumAccepted(l) - accepted)
			if moved != 1 {
				t.Fatalf("command moved %d counters", moved)
			}
			if retained && sumAccepted(l) != accepted {
				t.Fatal("a retained command was executed")
			}
		}
	})
}

func sumMap(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

func sumAccepted(l *Lock) uint64 {
	var n uint64
	for _, v := range l.Accepted() {
		n += v
	}
	return n
}
