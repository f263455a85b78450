package upload

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
)

// Schema names the batch envelope (docs/events.md).
const Schema = "lockhub.events.v1"

// batch is one upload: its record and its body, compressed.
type batch struct {
	rec record
	gz  []byte // gzip of the body
	raw int    // uncompressed size
}

// encoder builds batch bodies. It is owned by the drain loop (or a caller
// holding the uploader's send lock).
type encoder struct {
	prefix []byte // {"schema":...,"hub":...,"epoch":...,"events":[
	buf    []byte
	zbuf   bytes.Buffer
	zw     *gzip.Writer
}

func newEncoder(hub, epoch string) *encoder {
	h, _ := json.Marshal(hub)
	e, _ := json.Marshal(epoch)
	p := []byte(`{"schema":"` + Schema + `","hub":`)
	p = append(p, h...)
	p = append(p, `,"epoch":`...)
	p = append(p, e...)
	p = append(p, `,"events":[`...)
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return &encoder{prefix: p, zw: zw}
}

// scanFunc is PeekWire or RangeWire bound to their range arguments.
type scanFunc func(fn func(seq uint64, wire []byte) bool) error

// build collects up to maxEvents events (and maxBytes of JSON, at least
// one event) from scan and returns the batch, or nil when scan had none.
func (e *encoder) build(scan scanFunc, maxEvents, maxBytes int) (*batch, error) {
	e.buf = append(e.buf[:0], e.prefix...)
	var first, last uint64
	n := 0
	err := scan(func(seq uint64, wire []byte) bool {
		if n > 0 && len(e.buf)+1+len(wire)+64 > maxBytes {
			return false
		}
		if n > 0 {
			e.buf = append(e.buf, ',')
		} else {
			first = seq
		}
		e.buf = append(e.buf, wire...)
		last = seq
		n++
		return n < maxEvents
	})
	if err != nil || n == 0 {
		return nil, err
	}
	e.buf = append(e.buf, `],"first_seq":`...)
	e.buf = strconv.AppendUint(e.buf, first, 10)
	e.buf = append(e.buf, `,"last_seq":`...)
	e.buf = strconv.AppendUint(e.buf, last, 10)
	e.buf = append(e.buf, `,"count":`...)
	e.buf = strconv.AppendInt(e.buf, int64(n), 10)
	e.buf = append(e.buf, '}')
	sum := sha256.Sum256(e.buf)

	e.zbuf.Reset()
	e.zw.Reset(&e.zbuf)
	e.zw.Write(e.buf) // a bytes.Buffer does not fail
	e.zw.Close()
	b := &batch{
		rec: record{First: first, Last: last, Count: n, Digest: hex.EncodeToString(sum[:])},
		gz:  bytes.Clone(e.zbuf.Bytes()),
		raw: len(e.buf),
	}
	clear(e.buf[:cap(e.buf)]) // personal fields: do not keep them around longer than needed
	return b, nil
}

// idempotencyKey is "lh1-<16 hex of SHA-256(hub NUL epoch)>-<first>-<last>",
// plus "-r<rev>" for a batch rebuilt with different content (rev > 0).
func idempotencyKey(hub, epoch string, first, last uint64, rev int) string {
	h := sha256.Sum256([]byte(hub + "\x00" + epoch))
	k := "lh1-" + hex.EncodeToString(h[:8]) + "-" + strconv.FormatUint(first, 10) + "-" + strconv.FormatUint(last, 10)
	if rev > 0 {
		k += "-r" + strconv.Itoa(rev)
	}
	return k
}
