package events

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stopMover stops l's mover (it applies what is staged first): what is
// appended after stays in the stage only.
func stopMover(t *testing.T, l *Log) {
	t.Helper()
	close(l.stage.stop)
	<-l.stage.done
}

// crash leaves l as SIGKILL would: Badger's files as written so far (its
// WAL is written through a shared mapping, like the stage), and the stage
// file in place. l must not be used after.
func crash(t *testing.T, l *Log) {
	t.Helper()
	close(l.quit)
	<-l.rescuerDone
	<-l.syncerDone
	if err := l.db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.stage.unmap(); err != nil {
		t.Fatal(err)
	}
}

func doorEv(lock string, boot uint32, seq uint64) *Event {
	return &Event{Type: TypeDoor, Lock: lock, Boot: boot, LockSeq: seq, DoorKind: "opened"}
}

func openRaw(t *testing.T, cfg Config) *Log {
	t.Helper()
	l, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

// Acknowledged appends that only reached the stage are in the log after a
// crash: recovery applies them, once, and the seqs go on after them.
func TestStageRecoversAfterCrash(t *testing.T) {
	root := t.TempDir()
	cfg := testConfig(root)
	var logBuf bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logBuf, nil))
	l := openRaw(t, cfg)
	for i := range 100 {
		mustAppend(t, l, decisionEvent(i))
	}
	if _, dup, err := l.AppendDoor(t.Context(), doorEv("garage", 1, 1)); err != nil || dup {
		t.Fatalf("AppendDoor = %v, %v", dup, err)
	}
	stopMover(t, l)
	applied := l.Stats().StageApplied
	var seqs []uint64
	for i := 100; i < 150; i++ {
		ev := decisionEvent(i)
		ev.Personal = Personal{Name: "P" + itoa(i)}
		seqs = append(seqs, mustAppend(t, l, ev))
	}
	// A staged door event is a duplicate before it reaches Badger...
	s1, dup, err := l.AppendDoor(t.Context(), doorEv("garage", 1, 2))
	if err != nil || dup {
		t.Fatalf("AppendDoor = %v, %v", dup, err)
	}
	if s, dup, err := l.AppendDoor(t.Context(), doorEv("garage", 1, 2)); err != nil || !dup || s != s1 {
		t.Fatalf("staged door event sent again = %d %v %v, want duplicate of %d", s, dup, err, s1)
	}
	st := l.Stats()
	if st.StageBytes == 0 || st.StageBytes > st.StageSize || st.StageSize != DefaultStageSize || st.StageFailing {
		t.Fatalf("stage use with the mover stopped: %d of %d bytes, failing %v", st.StageBytes, st.StageSize, st.StageFailing)
	}
	if st.StageApplied != applied || st.StagedBatches <= applied || st.LastSeq != s1 {
		t.Fatalf("stats with the mover stopped: %+v; want batches staged after %d and last seq %d", st, applied, s1)
	}
	path := l.stage.path
	crash(t, l)

	l = openLog(t, cfg)
	for i, seq := range seqs {
		ev, err := l.Get(seq)
		if err != nil || ev.RequestID != "req-"+itoa(100+i) || ev.Personal.Name != "P"+itoa(100+i) {
			t.Fatalf("Get(%d) after the crash = %q %q, %v; want append %d", seq, ev.RequestID, ev.Personal.Name, err, 100+i)
		}
	}
	if got := len(peekAll(t, l)); got != 152 {
		t.Fatalf("outbox after recovery holds %d events, want 152", got)
	}
	// ...and after recovery the door index has it.
	if s, dup, err := l.AppendDoor(t.Context(), doorEv("garage", 1, 2)); err != nil || !dup || s != s1 {
		t.Fatalf("recovered door event sent again = %d %v %v, want duplicate of %d", s, dup, err, s1)
	}
	if seq := mustAppend(t, l, decisionEvent(0)); seq != s1+1 {
		t.Fatalf("seq after recovery = %d, want %d", seq, s1+1)
	}
	if !strings.Contains(logBuf.String(), "recovered staged events") {
		t.Errorf("no recovery line in the log:\n%s", logBuf.String())
	}
	l.settle()
	if st := l.Stats(); !st.Staged || st.StagedBatches != st.StageApplied || st.StagedBatches != 1 || st.StageBytes != 0 {
		t.Errorf("after reopening: %+v; want a fresh stage holding one batch", st)
	}

	// A clean Close leaves no stage file behind.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stage file after Close: %v, want none", err)
	}
}

// A ring smaller than the events appended wraps, with records on both
// sides of its end, and recovery reads across the wrap.
func TestStageWrapsAndRecovers(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.StageSize = minStageSize
	cfg.MaxBatch = 7 // many small records, so one lands across the end
	l := openRaw(t, cfg)
	big := strings.Repeat("x", 200)
	n := 0
	for ; l.stage.head < 3*l.stage.size || l.stage.head%l.stage.size < l.stage.size/2; n++ {
		ev := decisionEvent(n)
		ev.Personal = Personal{Name: big + itoa(n)}
		mustAppend(t, l, ev)
	}
	// Fill most of a lap with the mover stopped, so the recovered records
	// straddle the ring's end.
	stopMover(t, l)
	first := n
	for ; l.stage.head-l.stage.tail.Load() < l.stage.size*3/4; n++ {
		ev := decisionEvent(n)
		ev.Personal = Personal{Name: big + itoa(n)}
		mustAppend(t, l, ev)
	}
	if l.stage.tail.Load()%l.stage.size < l.stage.head%l.stage.size {
		t.Fatalf("staged records [%d, %d) do not cross the ring's end", l.stage.tail.Load(), l.stage.head)
	}
	crash(t, l)

	l = openLog(t, cfg)
	evs := peekAll(t, l)
	if len(evs) != n {
		t.Fatalf("outbox holds %d events, want %d (%d staged only)", len(evs), n, n-first)
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) || ev.Personal.Name != big+itoa(i) {
			t.Fatalf("event %d = seq %d %q..., want seq %d", i, ev.Seq, ev.Personal.Name[len(big):], i+1)
		}
	}
}

// A log reopened with disk durability after a crash under process
// durability recovers the stage, and then has none.
func TestStageRecoveredUnderDiskDurability(t *testing.T) {
	cfg := testConfig(t.TempDir())
	l := openRaw(t, cfg)
	stopMover(t, l)
	seq := mustAppend(t, l, decisionEvent(7))
	path := l.stage.path
	crash(t, l)

	cfg.Durability = DurabilityDisk
	l = openLog(t, cfg)
	if ev, err := l.Get(seq); err != nil || ev.RequestID != "req-7" {
		t.Fatalf("Get(%d) under disk durability = %q, %v; want the staged event", seq, ev.RequestID, err)
	}
	if l.Stats().Staged {
		t.Error("disk durability log has a stage")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("recovered stage file still there: %v", err)
	}
}

// A stage file left by an event log that no longer exists (its directory
// made anew) is not replayed into the new one.
func TestStageOfAnotherLogIsDiscarded(t *testing.T) {
	root := t.TempDir()
	cfg := testConfig(root)
	l := openRaw(t, cfg)
	stopMover(t, l)
	mustAppend(t, l, decisionEvent(1))
	crash(t, l)
	if err := os.RemoveAll(cfg.Dir); err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logBuf, nil))
	l = openLog(t, cfg)
	if evs := peekAll(t, l); len(evs) != 0 {
		t.Fatalf("new log holds %d events from another log's stage", len(evs))
	}
	if !strings.Contains(logBuf.String(), "belongs to no event log here") {
		t.Errorf("no warning about the foreign stage:\n%s", logBuf.String())
	}
}

// The stage file must be this user's, unshared, and not a symlink: /dev/shm
// is writable by everyone. A file in its place that is not a stage is set
// aside, not trusted.
func TestStageFileChecks(t *testing.T) {
	cfg := testConfig(t.TempDir())
	path, err := StagePath(cfg.StageDir, cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.StageDir, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.WriteFile(target, make([]byte, stageHeaderSize+minStageSize), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(cfg); err == nil || !strings.Contains(err.Error(), "stage") {
		t.Fatalf("Open with a symlinked stage = %v, want an error", err)
	}
	os.Remove(path)

	if err := os.WriteFile(path, make([]byte, stageHeaderSize+minStageSize), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(cfg); err == nil || !strings.Contains(err.Error(), "other users") {
		t.Fatalf("Open with a world-readable stage = %v, want an error", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logBuf, nil))
	l := openLog(t, cfg) // zeros: no magic
	mustAppend(t, l, decisionEvent(1))
	aside, _ := filepath.Glob(path + ".unreadable-*")
	if len(aside) != 1 || !strings.Contains(logBuf.String(), "not readable") {
		t.Fatalf("unreadable stage set aside as %v; log:\n%s", aside, logBuf.String())
	}
}

func TestStageConfig(t *testing.T) {
	// Sizes are whole pages.
	cfg0 := testConfig(t.TempDir())
	cfg0.StageSize = minStageSize + 4097
	if l := openLog(t, cfg0); l.Stats().StageSize != minStageSize+4096 {
		t.Errorf("stage size %d: ring of %d, want %d", cfg0.StageSize, l.Stats().StageSize, minStageSize+4096)
	}
	for _, n := range []int{-1, 1000, minStageSize - 1, maxStageSize + 1} {
		cfg := testConfig(t.TempDir())
		cfg.StageSize = n
		if _, err := Open(cfg); err == nil {
			t.Errorf("Open with stage size %d: no error", n)
		}
	}
	// Disk durability has no stage: every reply waits for its fsync anyway.
	cfg := testConfig(t.TempDir())
	cfg.Durability = DurabilityDisk
	l := openLog(t, cfg)
	if l.Stats().Staged {
		t.Error("disk durability log has a stage")
	}
	if _, err := os.Stat(cfg.StageDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("disk durability made the stage dir: %v", err)
	}
	// A stage that cannot be made fails Open, unless it is optional.
	cfg = testConfig(t.TempDir())
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.StageDir = filepath.Join(blocker, "stage")
	if _, err := Open(cfg); err == nil {
		t.Error("Open with an impossible stage dir: no error")
	}
	cfg.StageOptional = true
	l = openLog(t, cfg)
	if seq := mustAppend(t, l, decisionEvent(1)); l.Stats().Staged || seq != 1 {
		t.Errorf("optional stage that cannot be made: staged %v, seq %d", l.Stats().Staged, seq)
	}
	// Without a stage dir, process durability writes Badger directly.
	cfg = testConfig(t.TempDir())
	cfg.StageDir = ""
	l = openLog(t, cfg)
	seq := mustAppend(t, l, decisionEvent(1))
	if ev, err := l.Get(seq); err != nil || l.Stats().Staged || ev.Seq != seq {
		t.Fatalf("direct log: Get = %v, %v; staged %v", ev.Seq, err, l.Stats().Staged)
	}
}

// Readers see every acknowledged append at once, though the mover applies
// it in the background: reads settle first, and cut the mover's gathering
// delay short (here 12 minutes: without that the test would hang).
func TestReadsSeeStagedAppends(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.FlushInterval = time.Hour
	l := openLog(t, cfg)
	for i := range 300 {
		seq := mustAppend(t, l, decisionEvent(i))
		if _, err := l.Get(seq); err != nil {
			t.Fatalf("Get(%d) right after Append: %v", seq, err)
		}
	}
	if n, _ := l.Pending(); n != 300 {
		t.Fatalf("Pending = %d, want 300", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := l.Append(ctx, decisionEvent(1)); err != nil {
		t.Fatal(err)
	}
	if evs, err := l.Recent(1); err != nil || len(evs) != 1 || evs[0].Seq != 301 {
		t.Fatalf("Recent(1) = %v, %v; want seq 301", evs, err)
	}
}

// The mover lets records gather and applies them together: 50 appends,
// each its own batch and record, reach Badger in one transaction.
func TestMoverGathersRecords(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.FlushInterval = time.Hour // the mover waits 12 minutes unless hurried
	l := openLog(t, cfg)
	base := l.Stats()
	for i := range 50 {
		mustAppend(t, l, decisionEvent(i))
	}
	mid := l.Stats()
	if !l.settle() {
		t.Fatal("settle: not applied")
	}
	st := l.Stats()
	if got := mid.StagedBatches - base.StagedBatches; got != 50 {
		t.Fatalf("%d batches staged, want 50 (one per append)", got)
	}
	if mid.Writes != base.Writes || st.Writes-base.Writes != 1 || st.StageApplied != st.StagedBatches {
		t.Fatalf("Badger writes: %d before settle, %d after (base %d), applied %d of %d; want 0, then 1 for all",
			mid.Writes, st.Writes, base.Writes, st.StageApplied, st.StagedBatches)
	}
}

// Records survive their encoding: ops in, same ops out; any damage is
// refused by the checksum.
func TestStageRecordRoundTrip(t *testing.T) {
	rec := make([]byte, stageRecHeader)
	rec = appendOp(rec, []byte("e/1"), []byte("value one"), 0)
	rec = appendOp(rec, []byte("d/x"), []byte{0, 0, 0, 0, 0, 0, 0, 1}, 1_800_000_000)
	rec = appendOp(rec, []byte("e/2"), nil, 0)
	sealRecord(rec, 42)
	buf := append(rec, make([]byte, 64)...)
	batch, payload, n, wrap, err := parseRecord(buf)
	if err != nil || wrap || batch != 42 || n != pad8(uint64(len(rec))) {
		t.Fatalf("parseRecord = %d, %d, %v, %v", batch, n, wrap, err)
	}
	var got []string
	if err := forOps(payload, func(op stagedOp) error {
		got = append(got, string(op.key)+"="+string(op.val)+"@"+itoa(int(op.expires)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"e/1=value one@0", "d/x=\x00\x00\x00\x00\x00\x00\x00\x01@1800000000", "e/2=@0"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("ops = %q, want %q", got, want)
	}
	for i := 4; i < len(rec); i++ {
		bad := append([]byte(nil), buf...)
		if i >= 8 && i < 16 { // the batch is under the checksum too
			bad[i] ^= 1
		} else {
			bad[i] ^= 0x40
		}
		if _, _, _, _, err := parseRecord(bad); err == nil {
			t.Fatalf("flipping byte %d: no error", i)
		}
	}
	for _, b := range [][]byte{nil, {1, 2}, make([]byte, 16), {0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if _, _, _, _, err := parseRecord(b); err == nil {
			t.Errorf("parseRecord(%x): no error", b)
		}
	}
	if _, _, _, wrap, err := parseRecord([]byte{0xFF, 0xFF, 0xFF, 0xFF}); !wrap || err != nil {
		t.Errorf("wrap marker: wrap %v, %v", wrap, err)
	}
	for _, p := range [][]byte{{9}, {opSet}, {opSet, 5, 'a'}, {opSet, 1, 'a', 9}, {opSetExpiring, 1, 'a', 0}, {opSetExpiring, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0}, {opSet, 0, 0}} {
		if err := forOps(p, func(stagedOp) error { return nil }); !errors.Is(err, errStage) {
			t.Errorf("forOps(%x) = %v, want errStage", p, err)
		}
	}
}

// FuzzStageRecord: no input panics the record parser, and what parses
// re-encodes to the same record.
func FuzzStageRecord(f *testing.F) {
	rec := make([]byte, stageRecHeader)
	rec = appendOp(rec, []byte("e/1"), []byte("v"), 0)
	rec = appendOp(rec, []byte("d/2"), []byte("w"), 7)
	sealRecord(rec, 3)
	f.Add(rec)
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		batch, payload, n, wrap, err := parseRecord(b)
		if err != nil || wrap {
			return
		}
		if n > pad8(uint64(len(b))) || uint64(len(payload)+stageRecHeader) > n {
			t.Fatalf("record length %d, payload %d, in %d bytes", n, len(payload), len(b))
		}
		var ops []stagedOp
		again := make([]byte, stageRecHeader)
		if forOps(payload, func(op stagedOp) error {
			ops = append(ops, op)
			again = appendOp(again, op.key, op.val, op.expires)
			return nil
		}) != nil {
			return
		}
		sealRecord(again, batch)
		batch2, payload2, _, _, err := parseRecord(again)
		if err != nil || batch2 != batch {
			t.Fatalf("re-encoded record: batch %d, %v", batch2, err)
		}
		i := 0
		if err := forOps(payload2, func(op stagedOp) error {
			if i >= len(ops) || !bytes.Equal(op.key, ops[i].key) || !bytes.Equal(op.val, ops[i].val) || op.expires != ops[i].expires {
				t.Fatalf("re-encoded op %d differs", i)
			}
			i++
			return nil
		}); err != nil || i != len(ops) {
			t.Fatalf("re-encoded ops: %d of %d, %v", i, len(ops), err)
		}
	})
}
