package wire

import "fmt"

// MaxStateSize is the size limit of a lock state payload.
const MaxStateSize = 2048

// Heartbeat bounds, in seconds: how often a lock re-publishes its retained
// state. DefaultHeartbeatS applies when the state does not say.
const (
	DefaultHeartbeatS = 300
	MinHeartbeatS     = 10
	MaxHeartbeatS     = 3600
)

// MaxFWLen bounds the firmware version string.
const MaxFWLen = 32

// DoorState is the door position a lock reports.
type DoorState uint8

// Door states. The zero value is unknown (no door sensor, or not reported).
const (
	DoorUnknown DoorState = iota
	DoorOpen
	DoorClosed
	numDoors
)

var doorNames = [numDoors]string{"unknown", "open", "closed"}

func (s DoorState) String() string {
	if s < numDoors {
		return doorNames[s]
	}
	return fmt.Sprintf("door(%d)", uint8(s))
}

// Mode is the lock's effective operating mode, as it reports it.
type Mode uint8

// Modes. The zero value is unknown (not reported).
const (
	ModeUnknown     Mode = iota
	ModeNormal           // decides by asking the hub
	ModeLockdown         // refuses every credential
	ModeRelease          // held open (emergency release)
	ModeOfficeHours      // held open inside an office-hours window
	numModes
)

var modeNames = [numModes]string{"unknown", "normal", "lockdown", "release", "office_hours"}

func (m Mode) String() string {
	if m < numModes {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// LockState is the retained message on lockhub/v1/locks/{lock}/state. The
// lock's last will is the same message with Online false (and only Boot).
type LockState struct {
	Online bool
	// Boot is the lock's current boot epoch (as in its door events).
	Boot uint32
	// FW is the firmware version, 1 to 32 printable ASCII characters; "" if
	// not reported.
	FW string
	// Battery is the level in percent when HasBattery is set (mains-powered
	// locks leave it unset).
	Battery    uint8
	HasBattery bool
	Door       DoorState
	Mode       Mode
	// Clock is the lock's clock when it published, unix ms; 0 if not set.
	Clock int64
	// HeartbeatS is the period in seconds at which the lock re-publishes its
	// state; 0 means DefaultHeartbeatS.
	HeartbeatS uint32
}

const (
	stOnline uint32 = 1 << iota
	stBoot
	stFW
	stBattery
	stDoor
	stMode
	stClock
	stHeartbeat
)

// DecodeLockState decodes and validates a lock state. Unknown fields are
// refused unless their name starts with "x_". Errors are *Error.
func DecodeLockState(data []byte, s *LockState) error {
	*s = LockState{}
	if len(data) > MaxStateSize {
		return errf(CodeTooLarge, "", "state over 2048 bytes")
	}
	d := decodeState{strict: true}
	var m members
	m.init(data)
	for m.next() {
		switch string(m.key) {
		case "v":
			d.readVersion(m.val)
		case "online":
			if !d.mark(stOnline, "online") {
				v, err := boolVal(m.val, "online")
				if err != nil {
					d.fail(err)
				}
				s.Online = v
			}
		case "boot":
			if !d.mark(stBoot, "boot") {
				n, err := uintVal(m.val, "boot", 1<<32-1)
				if err != nil {
					d.fail(err)
				}
				s.Boot = uint32(n)
			}
		case "fw":
			if !d.mark(stFW, "fw") {
				b, err := str(m.val, "fw")
				if err != nil {
					d.fail(err)
					continue
				}
				if !printable(b, MaxFWLen) {
					d.fail(errf(CodeBadField, "fw", "must be 1 to 32 printable ASCII characters"))
					continue
				}
				s.FW = string(b)
			}
		case "battery":
			if !d.mark(stBattery, "battery") {
				s.Battery, s.HasBattery = batteryField(&d, m.val)
			}
		case "door":
			if !d.mark(stDoor, "door") {
				b, err := str(m.val, "door")
				if err != nil {
					d.fail(err)
					continue
				}
				// "unknown" is a door state a lock may report.
				if s.Door = DoorState(nameIndex(doorNames[:], b)); s.Door == DoorUnknown && string(b) != doorNames[DoorUnknown] {
					d.fail(errf(CodeBadField, "door", "must be open, closed or unknown"))
				}
			}
		case "mode":
			if !d.mark(stMode, "mode") {
				b, err := str(m.val, "mode")
				if err != nil {
					d.fail(err)
					continue
				}
				if s.Mode = Mode(nameIndex(modeNames[:], b)); s.Mode == ModeUnknown {
					d.fail(errf(CodeBadField, "mode", "must be normal, lockdown, release or office_hours"))
				}
			}
		case "clock":
			if !d.mark(stClock, "clock") {
				t, err := timeVal(m.val, "clock")
				if err != nil {
					d.fail(err)
				}
				s.Clock = t
			}
		case "heartbeat_s":
			if !d.mark(stHeartbeat, "heartbeat_s") {
				n, err := uintVal(m.val, "heartbeat_s", MaxHeartbeatS)
				if err == nil && n < MinHeartbeatS {
					err = errf(CodeBadField, "heartbeat_s", "must be 10 to 3600")
				}
				if err != nil {
					d.fail(err)
				}
				s.HeartbeatS = uint32(n)
			}
		default:
			d.unknown(m.key)
		}
	}
	d.need(stOnline, "online")
	d.need(stBoot, "boot")
	return d.finish(m.err)
}

// Heartbeat returns the state's heartbeat period in seconds with the default
// applied.
func (s *LockState) Heartbeat() uint32 {
	if s.HeartbeatS == 0 {
		return DefaultHeartbeatS
	}
	return s.HeartbeatS
}

// AppendLockState appends s as JSON to dst (no validation). Zero optional
// fields are omitted.
func AppendLockState(dst []byte, s *LockState) []byte {
	dst = appendV1(dst)
	dst = appendBoolField(dst, "online", s.Online)
	dst = appendUintField(dst, "boot", uint64(s.Boot))
	if s.FW != "" {
		dst = appendStrField(dst, "fw", s.FW)
	}
	if s.HasBattery {
		dst = appendUintField(dst, "battery", uint64(s.Battery))
	}
	if s.Door != DoorUnknown {
		dst = appendStrField(dst, "door", s.Door.String())
	}
	if s.Mode != ModeUnknown {
		dst = appendStrField(dst, "mode", s.Mode.String())
	}
	if s.Clock != 0 {
		dst = appendIntField(dst, "clock", s.Clock)
	}
	if s.HeartbeatS != 0 {
		dst = appendUintField(dst, "heartbeat_s", uint64(s.HeartbeatS))
	}
	return append(dst, '}')
}

// AppendWill appends the last-will payload a lock registers at CONNECT:
// {"v":1,"online":false,"boot":B}.
func AppendWill(dst []byte, boot uint32) []byte {
	return AppendLockState(dst, &LockState{Boot: boot})
}
