package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Record encoding: a version byte, then the record's fields in a fixed order.
// Strings and lists are length-prefixed with uvarints, integers are varints,
// booleans and enums are single bytes, times are a presence byte followed by
// varint Unix seconds and uvarint nanoseconds (UTC on decode). The decoder
// reads bytes from disk: it bounds every length and rejects trailing bytes.
const codecVersion = 1

// Bounds applied by the decoder.
const (
	maxRecordSize = 1 << 20 // whole record
	maxStringLen  = 4096    // any one string
)

var (
	errTruncated = errors.New("record truncated")
	errTrailing  = errors.New("trailing bytes after record")
	errTooLarge  = errors.New("record too large")
	errTooLong   = errors.New("string too long")
	errVersion   = errors.New("unknown record version")
	errBadValue  = errors.New("field out of range")
)

type encoder struct{ b []byte }

// newEncoder starts a record at the end of b (encode functions append).
func newEncoder(b []byte) encoder { return encoder{b: append(b, codecVersion)} }

func (e *encoder) byte(v byte)      { e.b = append(e.b, v) }
func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) string(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.byte(0)
		return
	}
	e.byte(1)
	e.varint(t.Unix())
	e.uvarint(uint64(t.Nanosecond()))
}

type decoder struct {
	b   []byte
	err error
}

func newDecoder(b []byte) decoder {
	d := decoder{b: b}
	switch {
	case len(b) > maxRecordSize:
		d.err = errTooLarge
	case len(b) == 0:
		d.err = errTruncated
	case b[0] != codecVersion:
		d.err = fmt.Errorf("%w %d", errVersion, b[0])
	default:
		d.b = b[1:]
	}
	return d
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 1 {
		d.fail(errTruncated)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// enum reads a byte that must not exceed max.
func (d *decoder) enum(max byte) byte {
	v := d.byte()
	if v > max {
		d.fail(fmt.Errorf("%w: enum %d > %d", errBadValue, v, max))
		return 0
	}
	return v
}

func (d *decoder) bool() bool { return d.enum(1) == 1 }

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errTruncated)
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
		d.fail(errTruncated)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint32() uint32 {
	v := d.uvarint()
	if v > math.MaxUint32 {
		d.fail(fmt.Errorf("%w: %d exceeds 32 bits", errBadValue, v))
		return 0
	}
	return uint32(v)
}

// count reads a list length; every element takes at least min bytes, so a
// length larger than what is left is garbage, not a reason to allocate.
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)/min) {
		d.fail(errTruncated)
		return 0
	}
	return int(n)
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.fail(errTruncated)
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > maxStringLen {
		d.fail(errTooLong)
		return ""
	}
	return string(d.bytes(int(n)))
}

func (d *decoder) time() time.Time {
	if !d.bool() {
		return time.Time{}
	}
	sec := d.varint()
	nsec := d.uvarint()
	if d.err != nil {
		return time.Time{}
	}
	if nsec >= 1e9 {
		d.fail(fmt.Errorf("%w: nanoseconds %d", errBadValue, nsec))
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec)).UTC()
	if t.IsZero() {
		d.fail(fmt.Errorf("%w: explicit zero time", errBadValue))
	}
	return t
}

func (d *decoder) duration() time.Duration { return time.Duration(d.varint()) }

// finish reports the first error, or trailing bytes.
func (d *decoder) finish(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errTrailing
	}
	if d.err != nil {
		return fmt.Errorf("decode %s: %w", what, d.err)
	}
	return nil
}
