package events

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The stage is the ring that process durability commits appends to (see
// doc.go, "Staging"). It is a file in a memory filesystem (/dev/shm by
// default), mapped shared: a record written there is in the kernel's page
// cache the moment the copy ends, so it survives the hub being killed, and
// writing it never waits for a disk. The mover applies staged records to
// Badger in the background; until then readers wait for it (settle).
//
// File layout: a header page, then the ring.
//
//	header: magic "LHSTAGE1" | version u32 | 0 u32 | id [16] | ring size u64 | tail u64
//	record: payload length u32 | CRC-32C of (batch, payload) u32 | batch u64 | payload | zero pad to 8
//	wrap:   0xFFFFFFFF where a record did not fit before the ring's end; the next starts at 0
//	payload: ops, each  kind u8 | key length uvarint | key | value length uvarint | value [| expires u64]
//
// Positions (head, tail) count bytes since the ring was made and never wrap;
// a record sits at position mod ring size. Records carry consecutive batch
// numbers from 1. Badger holds m/staged = (stage id, last applied batch),
// written in the same transaction as the records it covers, so recovery
// re-applies exactly the batches after it.
const (
	stageMagic       = "LHSTAGE1"
	stageVersion     = 1
	stageHeaderSize  = 4096
	stageRecHeader   = 16
	stageWrap        = ^uint32(0)
	stageIDSize      = 16
	DefaultStageSize = 16 << 20
	minStageSize     = 1 << 20
	maxStageSize     = 1 << 32

	opSet         byte = 1
	opSetExpiring byte = 2

	keyStaged = "m/staged"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errStage marks a record or header that does not parse.
var errStage = errors.New("bad stage data")

type stage struct {
	path string
	f    *os.File
	mem  []byte // the whole mapping
	ring []byte // mem[stageHeaderSize:]
	size uint64 // len(ring)
	id   [stageIDSize]byte

	// Owned by the committer (the holder of Log.lead).
	head  uint64 // next write position
	batch uint64 // last batch staged

	published atomic.Uint64 // position after the last whole record
	staged    atomic.Uint64 // batch of the last whole record
	tail      atomic.Uint64 // position of the first record not applied
	applied   atomic.Uint64 // last batch applied to Badger

	mu     sync.Mutex
	cond   *sync.Cond // broadcast when the mover applies or stops
	wake   chan struct{}
	urgent chan struct{} // someone waits for the mover: no delay
	stop   chan struct{}
	done   chan struct{}
	// delay is how long the mover lets records gather after a wake-up, so
	// one Badger transaction takes many of them (Log sets it).
	delay time.Duration

	waits   atomic.Uint64 // committer waits for ring space
	failing atomic.Bool   // the mover's last apply failed
}

// StagePath names the stage file of the event log in logDir when its stage
// directory is stageDir: one file per log directory.
func StagePath(stageDir, logDir string) (string, error) {
	abs, err := filepath.Abs(logDir)
	if err != nil {
		return "", fmt.Errorf("events stage: %w", err)
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(stageDir, "lockhub-events-"+hex.EncodeToString(sum[:8])+".stage"), nil
}

// createStage makes a new, empty stage file of ring size n at path (which
// must not exist), with a fresh id, and maps it.
func createStage(path string, n uint64) (*stage, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create events stage: %w", err)
	}
	st, err := func() (*stage, error) {
		// Reserve every page now: a write into a mapped page the memory
		// filesystem cannot supply would kill the process (SIGBUS).
		if err := allocate(f, int64(stageHeaderSize+n)); err != nil {
			return nil, err
		}
		st, err := mapStage(f, path, stageHeaderSize+n)
		if err != nil {
			return nil, err
		}
		if _, err := rand.Read(st.id[:]); err != nil {
			st.unmap()
			return nil, err
		}
		h := st.mem[:stageHeaderSize]
		copy(h, stageMagic)
		binary.LittleEndian.PutUint32(h[8:], stageVersion)
		copy(h[16:32], st.id[:])
		binary.LittleEndian.PutUint64(h[32:], n)
		binary.LittleEndian.PutUint64(h[40:], 0)
		return st, nil
	}()
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("create events stage %s: %w", path, err)
	}
	return st, nil
}

// openStageFile maps an existing stage file for recovery; it returns nil and
// no error when there is none. The file must be a regular file of this user;
// an error wrapping errStage means it is one but not a stage this build reads.
func openStageFile(path string) (*stage, error) {
	f, err := openNoFollow(path)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, nil // no stage can be there
	}
	if err != nil {
		return nil, fmt.Errorf("open events stage: %w", err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkOwned(fi)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("events stage %s: %w", path, err)
	}
	if fi.Size() < stageHeaderSize+minStageSize || fi.Size() > stageHeaderSize+maxStageSize {
		f.Close()
		return nil, fmt.Errorf("events stage %s: %w: %d bytes", path, errStage, fi.Size())
	}
	st, err := mapStage(f, path, uint64(fi.Size()))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("events stage %s: %w", path, err)
	}
	h := st.mem[:stageHeaderSize]
	switch {
	case string(h[:8]) != stageMagic:
		err = fmt.Errorf("%w: no stage magic", errStage)
	case binary.LittleEndian.Uint32(h[8:]) != stageVersion:
		err = fmt.Errorf("%w: version %d", errStage, binary.LittleEndian.Uint32(h[8:]))
	case binary.LittleEndian.Uint64(h[32:]) != st.size || st.size%8 != 0:
		err = fmt.Errorf("%w: ring size %d in a file of %d", errStage, binary.LittleEndian.Uint64(h[32:]), fi.Size())
	}
	if err != nil {
		st.unmap()
		return nil, fmt.Errorf("events stage %s: %w", path, err)
	}
	copy(st.id[:], h[16:32])
	st.tail.Store(binary.LittleEndian.Uint64(h[40:]))
	return st, nil
}

func mapStage(f *os.File, path string, n uint64) (*stage, error) {
	mem, err := mapShared(f, int(n))
	if err != nil {
		return nil, err
	}
	st := &stage{
		path: path, f: f, mem: mem, ring: mem[stageHeaderSize:], size: n - stageHeaderSize,
		wake: make(chan struct{}, 1), urgent: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	st.cond = sync.NewCond(&st.mu)
	return st, nil
}

func (st *stage) unmap() error {
	err := unmapShared(st.mem)
	st.mem, st.ring = nil, nil
	return errors.Join(err, st.f.Close())
}

// remove unmaps and deletes the stage file.
func (st *stage) remove() error {
	return errors.Join(st.unmap(), os.Remove(st.path))
}

func pad8(n uint64) uint64 { return (n + 7) &^ 7 }

// free is the ring space not held by unapplied records.
func (st *stage) free() uint64 { return st.size - (st.head - st.tail.Load()) }

// put copies the finished record rec (header filled by sealRecord) into the
// ring, waiting for the mover to free space, and publishes it. Only the
// committer calls it.
func (st *stage) put(rec []byte) {
	n := pad8(uint64(len(rec)))
	if off := st.head % st.size; off+n > st.size {
		st.waitFree(st.size - off)
		binary.LittleEndian.PutUint32(st.ring[off:], stageWrap)
		st.head += st.size - off
	}
	st.waitFree(n)
	off := st.head % st.size
	copy(st.ring[off:], rec)
	clear(st.ring[off+uint64(len(rec)) : off+n])
	st.head += n
	st.batch = binary.LittleEndian.Uint64(rec[8:])
	st.published.Store(st.head)
	st.staged.Store(st.batch)
	st.signal()
}

func (st *stage) waitFree(n uint64) {
	if st.free() >= n {
		return
	}
	st.waits.Add(1)
	st.hurry()
	st.mu.Lock()
	for st.free() < n {
		st.cond.Wait()
	}
	st.mu.Unlock()
}

// signal wakes the mover if it sleeps; it applies after its delay.
func (st *stage) signal() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

// hurry wakes the mover and cuts its delay short: someone waits for it.
func (st *stage) hurry() {
	select {
	case st.urgent <- struct{}{}:
	default:
	}
	st.signal()
}

// advanced records that every record before pos, up to batch, is in
// Badger.
func (st *stage) advanced(pos, batch uint64) {
	binary.LittleEndian.PutUint64(st.mem[40:], pos)
	st.mu.Lock()
	st.tail.Store(pos)
	st.applied.Store(batch)
	st.cond.Broadcast()
	st.mu.Unlock()
}

// waitApplied waits until batch is applied or d passes; it reports whether
// batch is applied.
func (st *stage) waitApplied(batch uint64, d time.Duration) bool {
	if st.applied.Load() >= batch {
		return true
	}
	st.hurry()
	expired := false
	t := time.AfterFunc(d, func() {
		st.mu.Lock()
		expired = true
		st.cond.Broadcast()
		st.mu.Unlock()
	})
	defer t.Stop()
	st.mu.Lock()
	defer st.mu.Unlock()
	for st.applied.Load() < batch && !expired {
		st.cond.Wait()
	}
	return st.applied.Load() >= batch
}

// sealRecord fills the header of rec (stageRecHeader bytes reserved at its
// start, then the payload) for batch.
func sealRecord(rec []byte, batch uint64) {
	binary.LittleEndian.PutUint32(rec, uint32(len(rec)-stageRecHeader))
	binary.LittleEndian.PutUint64(rec[8:], batch)
	binary.LittleEndian.PutUint32(rec[4:], crc32.Checksum(rec[8:], castagnoli))
}

// appendOp appends one write to a record payload; expires (Unix seconds) is
// written only when nonzero.
func appendOp(dst, key, val []byte, expires uint64) []byte {
	kind := opSet
	if expires != 0 {
		kind = opSetExpiring
	}
	dst = append(dst, kind)
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	dst = append(dst, key...)
	dst = binary.AppendUvarint(dst, uint64(len(val)))
	dst = append(dst, val...)
	if expires != 0 {
		dst = binary.LittleEndian.AppendUint64(dst, expires)
	}
	return dst
}

// parseRecord reads the record at the start of b (which may run on past
// it): its batch, payload and length with padding. A wrap marker returns
// wrap true. It checks the bounds and the CRC, not the payload's ops.
func parseRecord(b []byte) (batch uint64, payload []byte, n uint64, wrap bool, err error) {
	if len(b) < 4 {
		return 0, nil, 0, false, fmt.Errorf("%w: %d bytes left for a record", errStage, len(b))
	}
	size := binary.LittleEndian.Uint32(b)
	if size == stageWrap {
		return 0, nil, 0, true, nil
	}
	if len(b) < stageRecHeader || uint64(size) > uint64(len(b)-stageRecHeader) {
		return 0, nil, 0, false, fmt.Errorf("%w: record of %d bytes in %d", errStage, size, len(b))
	}
	if size == 0 {
		return 0, nil, 0, false, fmt.Errorf("%w: empty record", errStage)
	}
	end := stageRecHeader + int(size)
	if crc32.Checksum(b[8:end], castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return 0, nil, 0, false, fmt.Errorf("%w: record checksum", errStage)
	}
	return binary.LittleEndian.Uint64(b[8:]), b[stageRecHeader:end], pad8(uint64(end)), false, nil
}

// stagedOp is one write of a record.
type stagedOp struct {
	key, val []byte
	expires  uint64 // Unix seconds; 0: none
}

// forOps calls fn for each op of payload, stopping at the first error.
// The op's slices alias payload.
func forOps(payload []byte, fn func(op stagedOp) error) error {
	for len(payload) > 0 {
		kind := payload[0]
		if kind != opSet && kind != opSetExpiring {
			return fmt.Errorf("%w: op kind %d", errStage, kind)
		}
		payload = payload[1:]
		var op stagedOp
		var ok bool
		if op.key, payload, ok = lenPrefixed(payload); !ok || len(op.key) == 0 {
			return fmt.Errorf("%w: op key", errStage)
		}
		if op.val, payload, ok = lenPrefixed(payload); !ok {
			return fmt.Errorf("%w: op value", errStage)
		}
		if kind == opSetExpiring {
			if len(payload) < 8 {
				return fmt.Errorf("%w: op expiry", errStage)
			}
			op.expires = binary.LittleEndian.Uint64(payload)
			payload = payload[8:]
			if op.expires == 0 {
				return fmt.Errorf("%w: op expiry zero", errStage)
			}
		}
		if err := fn(op); err != nil {
			return err
		}
	}
	return nil
}

func lenPrefixed(b []byte) (v, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, b, false
	}
	return b[k : k+int(n)], b[k+int(n):], true
}

// scanStage walks the records a recovering log must consider: from the
// header's tail, consecutive batches, at most one lap, until a record does
// not parse (a torn write at the head, or old data from an earlier lap),
// whose reason it returns as stop. fn sees each record in order.
func scanStage(st *stage, fn func(batch uint64, payload []byte) error) (stop error, err error) {
	pos, end := st.tail.Load(), st.tail.Load()+st.size
	var prev uint64
	for pos < end {
		off := pos % st.size
		batch, payload, n, wrap, perr := parseRecord(st.ring[off:])
		if perr != nil {
			return perr, nil
		}
		if wrap {
			pos += st.size - off
			continue
		}
		if prev != 0 && batch != prev+1 {
			return fmt.Errorf("batch %d after %d", batch, prev), nil
		}
		if err := fn(batch, payload); err != nil {
			return nil, err
		}
		prev = batch
		pos += n
	}
	return errors.New("one lap read"), nil
}

// stageMarker encodes m/staged.
func stageMarker(id [stageIDSize]byte, batch uint64) []byte {
	return binary.BigEndian.AppendUint64(id[:], batch)
}

// parseStageMarker decodes m/staged.
func parseStageMarker(v []byte) (id [stageIDSize]byte, batch uint64, err error) {
	if len(v) != stageIDSize+8 {
		return id, 0, fmt.Errorf("%w: stage marker of %d bytes", errStage, len(v))
	}
	copy(id[:], v)
	return id, binary.BigEndian.Uint64(v[stageIDSize:]), nil
}

func sameID(a, b [stageIDSize]byte) bool { return bytes.Equal(a[:], b[:]) }
