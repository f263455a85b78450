package events

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// Limits of a stored record. The decoder refuses anything larger.
const (
	// MaxFieldLen is the longest string field, in bytes.
	MaxFieldLen = 1024
	// MaxRecordSize is the largest encoded event, in bytes.
	MaxRecordSize = 16 << 10

	recordVersion = 1
	nonceSize     = 12
	gcmTagSize    = 16
)

// Decoder errors.
var (
	ErrCorrupt   = errors.New("corrupt event record")
	ErrTooLarge  = errors.New("event too large")
	errTruncated = fmt.Errorf("%w: truncated", ErrCorrupt)
)

// sealed is the encrypted personal section of a record as found on disk.
type sealed struct {
	present bool
	day     uint32 // days since 1970-01-01 UTC: selects the key file
	nonce   []byte
	ct      []byte // ciphertext with the GCM tag
}

// appendRecord encodes ev after dst. p is the personal section, already
// sealed (p.present false when the event has none).
func appendRecord(dst []byte, ev *Event, p sealed) []byte {
	dst = append(dst, recordVersion, byte(ev.Type))
	dst = binary.AppendUvarint(dst, ev.Seq)
	dst = appendString(dst, ev.Epoch)
	dst = binary.AppendVarint(dst, unixNano(ev.Time))
	dst = binary.AppendVarint(dst, unixNano(ev.Ingest))
	dst = appendString(dst, ev.Lock)
	dst = appendString(dst, ev.RequestID)
	dst = appendString(dst, ev.Domain)
	dst = appendString(dst, ev.Member)
	switch ev.Type {
	case TypeDecision:
		dst = append(dst, boolByte(ev.Allowed), byte(ev.Reason), byte(ev.Credential),
			byte(ev.Grant.Origin), byte(ev.Grant.Kind))
		dst = appendString(dst, ev.Grant.Reference)
		dst = appendString(dst, ev.Access)
	case TypeDoor:
		dst = binary.AppendUvarint(dst, uint64(ev.Boot))
		dst = binary.AppendUvarint(dst, ev.LockSeq)
		dst = appendString(dst, ev.DoorKind)
		dst = append(dst, boolByte(ev.HasBattery), ev.Battery)
	case TypeAdmin:
		dst = appendString(dst, ev.Action)
		dst = appendString(dst, ev.Actor)
	case TypeGap:
		dst = binary.AppendUvarint(dst, ev.GapFrom)
		dst = binary.AppendUvarint(dst, ev.GapTo)
		dst = appendString(dst, ev.GapReason)
	}
	if !p.present {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	dst = binary.AppendUvarint(dst, uint64(p.day))
	dst = append(dst, p.nonce...)
	dst = binary.AppendUvarint(dst, uint64(len(p.ct)))
	return append(dst, p.ct...)
}

// recordSizeBound is an upper bound of the encoded size of ev with its
// personal section, used to refuse oversize events before they are queued.
func recordSizeBound(ev *Event) int {
	n := 2 + 3*binary.MaxVarintLen64 + 4*binary.MaxVarintLen64 + 5 + 2*binary.MaxVarintLen64
	for _, s := range [...]string{ev.Epoch, ev.Lock, ev.RequestID, ev.Domain, ev.Member,
		ev.Grant.Reference, ev.Access, ev.DoorKind, ev.Action, ev.Actor, ev.GapReason} {
		n += binary.MaxVarintLen16 + len(s)
	}
	if !ev.Personal.IsZero() {
		n += 1 + 2*binary.MaxVarintLen64 + nonceSize + gcmTagSize + personalSize(ev.Personal)
	}
	return n
}

// decodeRecord parses a stored record into ev (which it resets) and returns
// the still sealed personal section. It never panics on any input.
func decodeRecord(b []byte, ev *Event) (sealed, error) {
	*ev = Event{}
	if len(b) > MaxRecordSize {
		return sealed{}, fmt.Errorf("%w: record of %d bytes", ErrTooLarge, len(b))
	}
	d := decoder{b: b}
	if v := d.byte(); d.err == nil && v != recordVersion {
		return sealed{}, fmt.Errorf("%w: unknown record version %d", ErrCorrupt, v)
	}
	ev.Type = Type(d.byte())
	ev.Seq = d.uvarint()
	ev.Epoch = d.string()
	ev.Time = fromNano(d.varint())
	ev.Ingest = fromNano(d.varint())
	ev.Lock = d.string()
	ev.RequestID = d.string()
	ev.Domain = d.string()
	ev.Member = d.string()
	switch ev.Type {
	case TypeDecision:
		ev.Allowed = d.bool()
		ev.Reason = policy.Reason(d.byte())
		ev.Credential = policy.CredentialType(d.byte())
		ev.Grant.Origin = policy.Origin(d.byte())
		ev.Grant.Kind = policy.GrantKind(d.byte())
		ev.Grant.Reference = d.string()
		ev.Access = d.string()
	case TypeDoor:
		boot := d.uvarint()
		if boot > 1<<32-1 {
			d.fail("boot epoch out of range")
		}
		ev.Boot = uint32(boot)
		ev.LockSeq = d.uvarint()
		ev.DoorKind = d.string()
		ev.HasBattery = d.bool()
		ev.Battery = d.byte()
	case TypeAdmin:
		ev.Action = d.string()
		ev.Actor = d.string()
	case TypeGap:
		ev.GapFrom = d.uvarint()
		ev.GapTo = d.uvarint()
		ev.GapReason = d.string()
	default:
		if d.err == nil {
			d.fail(fmt.Sprintf("unknown event type %d", ev.Type))
		}
	}
	var p sealed
	switch flag := d.byte(); {
	case d.err != nil:
	case flag == 1:
		p.present = true
		day := d.uvarint()
		if day > 1<<32-1 {
			d.fail("key day out of range")
		}
		p.day = uint32(day)
		p.nonce = d.bytes(nonceSize)
		n := d.uvarint()
		if d.err == nil && (n < gcmTagSize || n > MaxRecordSize) {
			d.fail("bad personal section length")
		}
		p.ct = d.bytes(int(n))
	case flag != 0:
		d.fail("bad personal flag")
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Sprintf("%d trailing bytes", len(d.b)))
	}
	if d.err == nil {
		if err := validate(ev); err != nil {
			d.err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
	}
	if d.err != nil {
		*ev = Event{}
		return sealed{}, d.err
	}
	return p, nil
}

// validate checks the enumerations and ranges of an event; it is shared by
// Append (caller input) and the decoder (disk input).
func validate(ev *Event) error {
	for _, s := range [...]string{ev.Epoch, ev.Lock, ev.RequestID, ev.Domain, ev.Member,
		ev.Grant.Reference, ev.Access, ev.DoorKind, ev.Action, ev.Actor, ev.GapReason,
		ev.Personal.Name, ev.Personal.Email, ev.Personal.CredentialRef} {
		if len(s) > MaxFieldLen {
			return fmt.Errorf("%w: field of %d bytes", ErrTooLarge, len(s))
		}
	}
	switch ev.Type {
	case TypeDecision:
		if _, err := policy.ParseReason(ev.Reason.String()); err != nil {
			return fmt.Errorf("unknown decision reason %d", uint8(ev.Reason))
		}
		if ev.Allowed != (ev.Reason == policy.ReasonAllowed) {
			return fmt.Errorf("allowed does not match reason %s", ev.Reason)
		}
		if ev.Credential != policy.CredUnknown {
			if _, err := policy.ParseCredentialType(ev.Credential.String()); err != nil {
				return fmt.Errorf("unknown credential type %d", uint8(ev.Credential))
			}
		}
		if ev.Grant.Origin != policy.OriginUnknown {
			if _, err := policy.ParseOrigin(ev.Grant.Origin.String()); err != nil {
				return fmt.Errorf("unknown grant origin %d", uint8(ev.Grant.Origin))
			}
		}
		if ev.Grant.Kind != policy.KindUnknown {
			if _, err := policy.ParseGrantKind(ev.Grant.Kind.String()); err != nil {
				return fmt.Errorf("unknown grant kind %d", uint8(ev.Grant.Kind))
			}
		}
	case TypeDoor:
		if ev.Lock == "" || len(ev.Lock) > 255 {
			return fmt.Errorf("door event needs a lock id of 1 to 255 bytes")
		}
		if ev.HasBattery && ev.Battery > 100 {
			return fmt.Errorf("battery %d%% out of range", ev.Battery)
		}
	case TypeAdmin:
	case TypeGap:
		if ev.GapFrom == 0 || ev.GapTo < ev.GapFrom {
			return fmt.Errorf("bad gap range %d..%d", ev.GapFrom, ev.GapTo)
		}
	default:
		return fmt.Errorf("unknown event type %d", uint8(ev.Type))
	}
	return nil
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// decoder reads fields until the first error, after which every read
// returns a zero value.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, msg)
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 1 {
		d.err = errTruncated
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bool() bool {
	switch c := d.byte(); c {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("bad boolean")
	return false
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b) < n {
		d.err = errTruncated
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > MaxFieldLen {
		d.err = fmt.Errorf("%w: field of %d bytes", ErrTooLarge, n)
		return ""
	}
	return string(d.bytes(int(n)))
}
