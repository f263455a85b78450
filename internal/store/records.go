package store

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// Enum bounds (the largest valid value of each policy enum).
const (
	maxOrigin   = byte(policy.OriginAdmin)
	maxKind     = byte(policy.KindManual)
	maxStatus   = byte(policy.StatusArchived)
	maxCredType = byte(policy.CredPhone)
	maxFailMode = byte(policy.FailSafe)
)

func encodeDomain(b []byte, v *policy.Domain) []byte {
	e := newEncoder(b)
	e.string(v.ID)
	e.string(v.Name)
	zone := ""
	if v.Zone != nil {
		zone = v.Zone.String()
	}
	e.string(zone)
	e.varint(int64(v.Retention))
	e.string(v.NexudusBusiness)
	e.byte(byte(v.Origin))
	return e.b
}

// decodeDomain returns the domain without its Zone and the zone's name; the
// caller resolves the name (decoding stays free of file-system access).
func decodeDomain(b []byte) (v policy.Domain, zone string, err error) {
	d := newDecoder(b)
	v.ID = d.string()
	v.Name = d.string()
	zone = d.string()
	v.Retention = d.duration()
	v.NexudusBusiness = d.string()
	v.Origin = policy.Origin(d.enum(maxOrigin))
	return v, zone, d.finish("domain")
}

func encodeMember(b []byte, v *policy.Member, creds []policy.Credential) []byte {
	e := newEncoder(b)
	e.string(v.ID)
	e.string(v.Domain)
	e.string(v.Name)
	e.string(v.Email)
	e.byte(byte(v.Status))
	e.byte(byte(v.Origin))
	e.uvarint(uint64(len(creds)))
	for _, c := range creds {
		e.byte(byte(c.Type))
		e.b = append(e.b, c.Digest[:]...)
	}
	return e.b
}

func decodeMember(b []byte) (v policy.Member, creds []policy.Credential, err error) {
	d := newDecoder(b)
	v.ID = d.string()
	v.Domain = d.string()
	v.Name = d.string()
	v.Email = d.string()
	v.Status = policy.MemberStatus(d.enum(maxStatus))
	v.Origin = policy.Origin(d.enum(maxOrigin))
	if n := d.count(1 + policy.DigestSize); n > 0 {
		creds = make([]policy.Credential, n)
		for i := range creds {
			creds[i].Type = policy.CredentialType(d.enum(maxCredType))
			copy(creds[i].Digest[:], d.bytes(policy.DigestSize))
		}
	}
	return v, creds, d.finish("member")
}

func encodeLock(b []byte, v *policy.Lock) []byte {
	e := newEncoder(b)
	e.string(v.ID)
	e.string(v.Domain)
	e.string(v.Name)
	e.varint(int64(v.OfflineHorizon))
	e.bool(v.CheckIn)
	e.varint(int64(v.UnlockDuration))
	e.byte(byte(v.FailMode))
	e.uvarint(uint64(v.KeyGeneration))
	e.byte(byte(v.Origin))
	return e.b
}

func decodeLock(b []byte) (v policy.Lock, err error) {
	d := newDecoder(b)
	v.ID = d.string()
	v.Domain = d.string()
	v.Name = d.string()
	v.OfflineHorizon = d.duration()
	v.CheckIn = d.bool()
	v.UnlockDuration = d.duration()
	v.FailMode = policy.FailMode(d.enum(maxFailMode))
	v.KeyGeneration = d.uint32()
	v.Origin = policy.Origin(d.enum(maxOrigin))
	return v, d.finish("lock")
}

func encodeAccess(b []byte, v *policy.Access) []byte {
	e := newEncoder(b)
	e.string(v.ID)
	e.string(v.Domain)
	e.string(v.Name)
	e.uvarint(uint64(len(v.Locks)))
	for _, l := range v.Locks {
		e.string(l)
	}
	e.uvarint(uint64(len(v.Schedule.Windows)))
	for _, w := range v.Schedule.Windows {
		e.byte(byte(w.Days))
		e.uvarint(uint64(w.Start))
		e.uvarint(uint64(w.End))
	}
	e.uvarint(uint64(len(v.Schedule.Holidays)))
	for _, h := range v.Schedule.Holidays {
		e.varint(int64(h))
	}
	e.byte(byte(v.Origin))
	return e.b
}

func decodeAccess(b []byte) (v policy.Access, err error) {
	d := newDecoder(b)
	v.ID = d.string()
	v.Domain = d.string()
	v.Name = d.string()
	if n := d.count(1); n > 0 {
		v.Locks = make([]string, n)
		for i := range v.Locks {
			v.Locks[i] = d.string()
		}
	}
	if n := d.count(3); n > 0 {
		v.Schedule.Windows = make([]policy.Window, n)
		for i := range v.Schedule.Windows {
			w := &v.Schedule.Windows[i]
			w.Days = policy.Days(d.byte())
			start, end := d.uvarint(), d.uvarint()
			if start > policy.MinutesPerDay || end > policy.MinutesPerDay {
				d.fail(fmt.Errorf("%w: window %d", errBadValue, i))
			}
			w.Start, w.End = uint16(start), uint16(end)
			if d.err == nil {
				if err := w.Validate(); err != nil {
					d.fail(fmt.Errorf("%w: window %d: %w", errBadValue, i, err))
				}
			}
		}
	}
	if n := d.count(1); n > 0 {
		v.Schedule.Holidays = make([]policy.Date, n)
		for i := range v.Schedule.Holidays {
			h := d.varint()
			if h < math.MinInt32 || h > math.MaxInt32 {
				d.fail(fmt.Errorf("%w: holiday %d", errBadValue, i))
			}
			v.Schedule.Holidays[i] = policy.Date(h)
		}
		// Schedule.At binary-searches holidays: never trust the order on disk.
		slices.Sort(v.Schedule.Holidays)
	}
	v.Origin = policy.Origin(d.enum(maxOrigin))
	return v, d.finish("access")
}

// encodeGrant encodes everything but the grant key, which is the record's
// Badger key.
func encodeGrant(b []byte, v *policy.Grant) []byte {
	e := newEncoder(b)
	e.string(v.Member)
	e.string(v.Access)
	e.time(v.From)
	e.time(v.Until)
	return e.b
}

func decodeGrant(k policy.GrantKey, b []byte) (v policy.Grant, err error) {
	d := newDecoder(b)
	v.GrantKey = k
	v.Member = d.string()
	v.Access = d.string()
	v.From = d.time()
	v.Until = d.time()
	return v, d.finish("grant")
}

func encodeLockState(b []byte, v *policy.LockState) []byte {
	e := newEncoder(b)
	e.bool(v.Lockdown)
	e.bool(v.Released)
	e.time(v.KeypadLockedUntil)
	return e.b
}

func decodeLockState(b []byte) (v policy.LockState, err error) {
	d := newDecoder(b)
	v.Lockdown = d.bool()
	v.Released = d.bool()
	v.KeypadLockedUntil = d.time()
	return v, d.finish("lock state")
}

// encodeString and encodeTime serve the small meta records (cursors, last
// sync times, the clock mark, the epoch).
func encodeString(b []byte, s string) []byte {
	e := newEncoder(b)
	e.string(s)
	return e.b
}

func decodeString(b []byte) (string, error) {
	d := newDecoder(b)
	s := d.string()
	return s, d.finish("string")
}

func encodeTime(b []byte, t time.Time) []byte {
	e := newEncoder(b)
	e.time(t)
	return e.b
}

func decodeTime(b []byte) (time.Time, error) {
	d := newDecoder(b)
	t := d.time()
	return t, d.finish("time")
}

func encodeUint(b []byte, v uint64) []byte {
	e := newEncoder(b)
	e.uvarint(v)
	return e.b
}

func decodeUint(b []byte) (uint64, error) {
	d := newDecoder(b)
	v := d.uvarint()
	return v, d.finish("number")
}
