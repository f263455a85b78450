package events

import (
	"fmt"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// Type is the kind of an event.
type Type uint8

// Event types. The zero value is invalid so that a forgotten type is caught.
const (
	TypeUnknown  Type = iota
	TypeDecision      // an unlock decision made by the hub
	TypeDoor          // a door event reported by a lock (opened, forced, held, battery...)
	TypeAdmin         // an admin action on the hub
	TypeGap           // a declared drop: events GapFrom..GapTo were not kept
	numTypes
)

var typeNames = [numTypes]string{"unknown", "decision", "door", "admin", "gap"}

func (t Type) String() string {
	if t < numTypes {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// ParseType is the inverse of Type.String.
func ParseType(s string) (Type, error) {
	for i, n := range typeNames {
		if i > 0 && n == s {
			return Type(i), nil
		}
	}
	return TypeUnknown, fmt.Errorf("unknown event type %q", s)
}

// GapOutboxFull is the GapReason of the gap record the log writes when its
// outbox cap made it drop un-uploaded events.
const GapOutboxFull = "outbox_full"

// GapUnreadable is the GapReason of the gap record the log writes when it
// opens and finds its newest records unreadable: their data had not
// reached the disk before a power loss or an OS crash (Log.dropUnreadable).
const GapUnreadable = "unreadable"

// Personal holds the fields of an event that identify a person. They are
// stored encrypted under a per-domain, per-UTC-day key kept outside Badger
// and read back empty (with Event.Scrubbed set) once that key is destroyed.
type Personal struct {
	Name  string
	Email string
	// CredentialRef names the credential without revealing it: a card-id
	// suffix or a digest prefix, never the value itself.
	CredentialRef string
}

// IsZero reports whether no personal field is set.
func (p Personal) IsZero() bool { return p.Name == "" && p.Email == "" && p.CredentialRef == "" }

// Event is one record of the hub's event log. Fields that do not apply to
// the event's Type are ignored when it is stored.
type Event struct {
	// Seq is the hub sequence number, assigned by the log: monotonic per
	// store epoch, never reused.
	Seq uint64
	// Epoch is the store epoch, set by the log from Config.Epoch.
	Epoch string
	// Time is when the event happened: the lock's clock for a door event,
	// the decision time for a decision.
	Time time.Time
	// Ingest is when the hub logged it (hub clock), set by the log.
	Ingest time.Time
	Type   Type

	Lock      string // lock id
	RequestID string // the lock's request id (decisions) or event id
	Domain    string // domain id; selects the key of the personal fields
	Member    string // member id (not personal: an opaque id)

	// Decision fields.
	Allowed    bool
	Reason     policy.Reason
	Credential policy.CredentialType // the type only, never the value
	Grant      policy.GrantKey       // the matched grant, zero when none
	Access     string                // the matched grant's access id

	// Door fields. (Lock, Boot, LockSeq) identifies a door event.
	Boot       uint32
	LockSeq    uint64
	DoorKind   string
	HasBattery bool
	Battery    uint8 // percent, when HasBattery

	// Admin fields.
	Action string
	Actor  string

	// Gap fields: the inclusive hub sequence range that was dropped.
	GapFrom   uint64
	GapTo     uint64
	GapReason string

	Personal Personal
	// Scrubbed is set on read when the event had personal fields whose key
	// has been destroyed (or could not open them).
	Scrubbed bool
}

// Durability says when Append returns.
type Durability uint8

// Durability settings.
const (
	// DurabilityProcess returns once the event is in Badger (it survives a
	// kill of the hub); a background sync puts it on disk within
	// Config.FlushInterval.
	DurabilityProcess Durability = iota
	// DurabilityDisk returns only after an fsync that covers the event,
	// shared by concurrent appenders (group commit).
	DurabilityDisk
)

func (d Durability) String() string {
	switch d {
	case DurabilityProcess:
		return "process"
	case DurabilityDisk:
		return "disk"
	}
	return fmt.Sprintf("durability(%d)", uint8(d))
}

// ParseDurability is the inverse of Durability.String.
func ParseDurability(s string) (Durability, error) {
	switch s {
	case "process":
		return DurabilityProcess, nil
	case "disk":
		return DurabilityDisk, nil
	}
	return 0, fmt.Errorf("unknown durability %q (want process or disk)", s)
}
