package wire

import "fmt"

// Size limits of door events and acknowledgements.
const (
	MaxEventSize = 2048
	MaxAckSize   = 256
)

// MaxUnlockMS is the longest unlock a response or command may ask for (10 min).
const MaxUnlockMS = 600_000

// EventKind is what happened at the door.
type EventKind uint8

// Door event kinds. The zero value is invalid.
const (
	EventUnknown    EventKind = iota
	EventOpened               // the door opened
	EventClosed               // the door closed
	EventHeldOpen             // the door stayed open past the lock's limit
	EventForced               // the door opened without an unlock
	EventTamper               // the lock's tamper switch tripped
	EventBatteryLow           // the battery fell below the lock's threshold (Battery set)
	numEvents
)

var eventNames = [numEvents]string{"unknown", "opened", "closed", "held_open", "forced", "tamper", "battery_low"}

func (k EventKind) String() string {
	if k < numEvents {
		return eventNames[k]
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

func parseEventKind(b []byte) EventKind { return EventKind(nameIndex(eventNames[:], b)) }

// DoorEvent is a message on lockhub/v1/locks/{lock}/evt. (lock, Boot, Seq)
// identifies it everywhere downstream.
type DoorEvent struct {
	// Boot is the lock's boot epoch, chosen at each boot (random or a
	// persisted counter).
	Boot uint32
	// Seq numbers the events of one boot from 1 up, at most MaxSafeInt.
	Seq  uint64
	Kind EventKind
	// At is the lock's clock when it happened, unix ms; 0 when unknown.
	At int64
	// Battery is the level in percent, 0..100, when HasBattery is set;
	// required for battery_low.
	Battery    uint8
	HasBattery bool
}

const (
	evBoot uint32 = 1 << iota
	evSeq
	evKind
	evAt
	evBattery
)

// DecodeDoorEvent decodes and validates a door event. Unknown fields are
// refused unless their name starts with "x_". Errors are *Error.
func DecodeDoorEvent(data []byte, e *DoorEvent) error {
	*e = DoorEvent{}
	if len(data) > MaxEventSize {
		return errf(CodeTooLarge, "", "event over 2048 bytes")
	}
	d := decodeState{strict: true}
	var m members
	m.init(data)
	for m.next() {
		switch string(m.key) {
		case "v":
			d.readVersion(m.val)
		case "boot":
			d.readBoot(m.val, &e.Boot)
		case "seq":
			d.readSeq(m.val, &e.Seq)
		case "kind":
			if !d.mark(evKind, "kind") {
				b, err := str(m.val, "kind")
				if err != nil {
					d.fail(err)
					continue
				}
				if e.Kind = parseEventKind(b); e.Kind == EventUnknown {
					d.fail(errf(CodeUnknownType, "kind", "unknown door event kind"))
				}
			}
		case "at":
			if !d.mark(evAt, "at") {
				t, err := timeVal(m.val, "at")
				if err != nil {
					d.fail(err)
				}
				e.At = t
			}
		case "battery":
			if !d.mark(evBattery, "battery") {
				e.Battery, e.HasBattery = batteryField(&d, m.val)
			}
		default:
			d.unknown(m.key)
		}
	}
	d.need(evBoot, "boot")
	d.need(evSeq, "seq")
	d.need(evKind, "kind")
	if e.Kind == EventBatteryLow {
		d.need(evBattery, "battery")
	}
	return d.finish(m.err)
}

func batteryField(d *decodeState, val []byte) (uint8, bool) {
	n, err := uintVal(val, "battery", 100)
	if err != nil {
		d.fail(err)
		return 0, false
	}
	return uint8(n), true
}

// AppendDoorEvent appends e as JSON to dst (no validation).
func AppendDoorEvent(dst []byte, e *DoorEvent) []byte {
	dst = appendV1(dst)
	dst = appendUintField(dst, "boot", uint64(e.Boot))
	dst = appendUintField(dst, "seq", e.Seq)
	dst = appendStrField(dst, "kind", e.Kind.String())
	if e.At != 0 {
		dst = appendIntField(dst, "at", e.At)
	}
	if e.HasBattery {
		dst = appendUintField(dst, "battery", uint64(e.Battery))
	}
	return append(dst, '}')
}

// Ack is a message on lockhub/v1/locks/{lock}/ack. It acknowledges exactly
// one door event, (Boot, Seq), once the hub has stored it; acks are not
// cumulative. The hub acks duplicates again.
type Ack struct {
	Boot uint32
	Seq  uint64
}

// AppendAck appends a as JSON to dst.
func AppendAck(dst []byte, a *Ack) []byte {
	dst = appendV1(dst)
	dst = appendUintField(dst, "boot", uint64(a.Boot))
	dst = appendUintField(dst, "seq", a.Seq)
	return append(dst, '}')
}

// DecodeAck decodes an acknowledgement, as a lock does: unknown fields are
// ignored. Errors are *Error.
func DecodeAck(data []byte, a *Ack) error {
	*a = Ack{}
	if len(data) > MaxAckSize {
		return errf(CodeTooLarge, "", "ack over 256 bytes")
	}
	d := decodeState{}
	var m members
	m.init(data)
	for m.next() {
		switch string(m.key) {
		case "v":
			d.readVersion(m.val)
		case "boot":
			d.readBoot(m.val, &a.Boot)
		case "seq":
			d.readSeq(m.val, &a.Seq)
		default:
			d.unknown(m.key)
		}
	}
	d.need(evBoot, "boot")
	d.need(evSeq, "seq")
	return d.finish(m.err)
}

// readBoot and readSeq read the (boot epoch, sequence) fields that key a
// door event and its ack; a repeated field is reported by mark.
func (d *decodeState) readBoot(val []byte, dst *uint32) {
	if d.mark(evBoot, "boot") {
		return
	}
	n, err := uintVal(val, "boot", 1<<32-1)
	if err != nil {
		d.fail(err)
	}
	*dst = uint32(n)
}

func (d *decodeState) readSeq(val []byte, dst *uint64) {
	if d.mark(evSeq, "seq") {
		return
	}
	n, err := uintVal(val, "seq", MaxSafeInt)
	if err == nil && n == 0 {
		err = errf(CodeBadField, "seq", "starts at 1")
	}
	if err != nil {
		d.fail(err)
	}
	*dst = n
}

// nameIndex returns the index of b in names, an enum's String table whose
// index 0 is its unknown value, or 0 when b names no other value.
func nameIndex(names []string, b []byte) int {
	for i := 1; i < len(names); i++ {
		if names[i] == string(b) {
			return i
		}
	}
	return 0
}
