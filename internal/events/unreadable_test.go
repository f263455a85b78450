package events

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// cutValueLog shortens the newest non-empty value-log file of a closed log
// by a quarter of its entries' bytes, as a power loss does to value-log
// pages that never reached the disk.
func cutValueLog(t *testing.T, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.vlog"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	const header = 20 // Badger's value-log file header
	for _, f := range slices.Backward(files) {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() <= header {
			continue
		}
		if err := os.Truncate(f, st.Size()-(st.Size()-header)/4); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no value-log file with entries in %s: %v", dir, files)
}

// reopenAfterCut appends n decisions to a new log on cfg, acks the first
// acked of them, closes it, cuts its value log (cutValueLog) and opens it
// again.
func reopenAfterCut(t *testing.T, cfg Config, n int, acked uint64) *Log {
	t.Helper()
	l := openLog(t, cfg)
	for i := range n {
		mustAppend(t, l, decisionEvent(i))
	}
	if err := l.Ack(acked); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	cutValueLog(t, cfg.Dir)
	return openLog(t, cfg)
}

// checkAccounted asserts that every seq in from..to is exactly one of: an
// event read back, or covered by one gap record (reason unreadable), and
// that the gap records follow the last appended seq (n).
func checkAccounted(t *testing.T, evs []Event, from, to, n uint64) (decisions, covered int) {
	t.Helper()
	seen := map[uint64]string{}
	note := func(s uint64, what string) {
		if prev, dup := seen[s]; dup {
			t.Errorf("seq %d is both %s and %s", s, prev, what)
		}
		seen[s] = what
	}
	next := n + 1
	for _, ev := range evs {
		switch ev.Type {
		case TypeDecision:
			note(ev.Seq, "an event")
			decisions++
		case TypeGap:
			if ev.Seq != next || ev.GapReason != GapUnreadable || ev.GapFrom > ev.GapTo {
				t.Errorf("gap record seq %d (%d..%d, %q); want seq %d, reason %q", ev.Seq, ev.GapFrom, ev.GapTo, ev.GapReason, next, GapUnreadable)
			}
			next++
			for s := ev.GapFrom; s <= ev.GapTo; s++ {
				note(s, "in a gap")
				covered++
			}
		default:
			t.Errorf("unexpected %s event seq %d", ev.Type, ev.Seq)
		}
	}
	for s := from; s <= to; s++ {
		if _, ok := seen[s]; !ok {
			t.Errorf("seq %d is neither read back nor in a gap record", s)
		}
		delete(seen, s)
	}
	for s, what := range seen {
		t.Errorf("seq %d (%s) outside %d..%d", s, what, from, to)
	}
	return decisions, covered
}

func TestUnreadableEventsDroppedWithGaps(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.FlushInterval = time.Hour // no background sync: Close's is the only one
	const n = 40
	l := reopenAfterCut(t, cfg, n, 10)
	st := l.Stats()
	if st.Unreadable == 0 || st.Unreadable >= n || st.Gaps == 0 {
		t.Fatalf("after the cut: Unreadable %d, Gaps %d; want some of the %d lost, with gap records", st.Unreadable, st.Gaps, n)
	}
	if st.LastSeq != n+st.Gaps {
		t.Errorf("LastSeq %d, want %d (the gap records follow seq %d)", st.LastSeq, n+st.Gaps, n)
	}
	evs := peekAll(t, l)
	decisions, covered := checkAccounted(t, evs, 11, n, n)
	// The uploaded events (1..10) are no longer in the outbox; the lost
	// ones among them are only counted.
	recent, err := l.Recent(1000)
	if err != nil {
		t.Fatal(err)
	}
	kept := len(recent) - int(st.Gaps)
	if uint64(kept) != n-st.Unreadable {
		t.Errorf("audit copy holds %d events, want %d", kept, n-st.Unreadable)
	}
	if uint64(covered) > st.Unreadable || decisions+covered != n-10 {
		t.Errorf("outbox: %d events read back and %d in gaps, of %d un-uploaded (%d unreadable)", decisions, covered, n-10, st.Unreadable)
	}
	for _, ev := range evs {
		if ev.Type == TypeGap {
			if _, err := l.Get(ev.GapFrom); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get(%d) of a dropped event = %v, want ErrNotFound", ev.GapFrom, err)
			}
		}
	}
	// Numbers are never reused: the next append follows the gap records.
	if seq := mustAppend(t, l, decisionEvent(99)); seq != n+st.Gaps+1 {
		t.Errorf("next append got seq %d, want %d", seq, n+st.Gaps+1)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// A second open finds nothing more to drop.
	l = openLog(t, cfg)
	if st2 := l.Stats(); st2.Unreadable != 0 || st2.LastSeq != n+st.Gaps+1 {
		t.Errorf("second open: Unreadable %d, LastSeq %d; want 0, %d", st2.Unreadable, st2.LastSeq, n+st.Gaps+1)
	}
	if evs2 := peekAll(t, l); len(evs2) != len(evs)+1 {
		t.Errorf("second open: outbox holds %d events, want %d", len(evs2), len(evs)+1)
	}
}

func TestUnreadableUploadedEventsDroppedWithoutGap(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.FlushInterval = time.Hour // no background sync: Close's is the only one
	const n = 40
	l := reopenAfterCut(t, cfg, n, n)
	st := l.Stats()
	if st.Unreadable == 0 || st.Gaps != 0 || st.Pending != 0 {
		t.Fatalf("after the cut: Unreadable %d, Gaps %d, Pending %d; want some lost, no gap (all were uploaded), none pending",
			st.Unreadable, st.Gaps, st.Pending)
	}
	recent, err := l.Recent(n)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(recent)) != n-st.Unreadable {
		t.Errorf("audit copy holds %d events, want %d", len(recent), n-st.Unreadable)
	}
	if seq := mustAppend(t, l, decisionEvent(99)); seq != n+1 {
		t.Errorf("next append got seq %d, want %d", seq, n+1)
	}
}

// Records at or below the synced mark are not read back at Open: after a
// sync, even a cut value log is not looked at for them (the mark is what
// bounds the work of an Open).
func TestSyncedMarkBoundsTheReadBack(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.FlushInterval = 10 * time.Millisecond
	l := openLog(t, cfg)
	for i := range 40 {
		mustAppend(t, l, decisionEvent(i))
	}
	// Wait for the syncer to raise the mark past every record.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var mark uint64
		if err := l.view(func(txn *badgerTxn) error {
			var err error
			mark, err = readU64(txn, []byte(keySynced))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if mark >= l.vers.visible.Load()-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("synced mark %d never reached version %d", mark, l.vers.visible.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// An idle log stops raising the mark (its own write is not news).
	syncs := l.Stats().Syncs
	time.Sleep(100 * time.Millisecond)
	if d := l.Stats().Syncs - syncs; d > 2 {
		t.Errorf("idle log synced %d times in 100 ms: the mark keeps it busy", d)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	cutValueLog(t, cfg.Dir)
	l = openLog(t, cfg)
	if st := l.Stats(); st.Unreadable != 0 {
		t.Errorf("Unreadable %d: records below the synced mark were read back", st.Unreadable)
	}
}

// With disk durability the records stay in the LSM tree (one fsync per
// group commit): the value log holds no event.
func TestDiskDurabilityKeepsRecordsInTree(t *testing.T) {
	if valueThreshold(DurabilityDisk) <= 1<<10 {
		t.Fatalf("disk durability value threshold %d: event records would go to the value log", valueThreshold(DurabilityDisk))
	}
	cfg := testConfig(t.TempDir())
	cfg.Durability = DurabilityDisk
	l := openLog(t, cfg)
	for i := range 40 {
		mustAppend(t, l, decisionEvent(i))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(cfg.Dir, "*.vlog"))
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || st.Size() > 20 {
			t.Errorf("value-log file %s: %v, size %d; want only the header", f, err, st.Size())
		}
	}
}

// TestUnreadableDropIsOneWrite: the gap records and the deletes of the
// unreadable records are one commit (one Badger version), so a crash can
// not fall between them and make the next Open declare the drop again.
func TestUnreadableDropIsOneWrite(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.FlushInterval = time.Hour // no background sync: Close's is the only one
	l := reopenAfterCut(t, cfg, 40, 0)
	defer l.Close()
	if l.Stats().Unreadable == 0 {
		t.Fatal("the cut made nothing unreadable")
	}
	txn := l.db.NewTransactionAt(math.MaxUint64, false)
	defer txn.Discard()
	versions := map[uint64][]string{}
	for _, ev := range peekAll(t, l) {
		if ev.Type != TypeGap {
			continue
		}
		item, err := txn.Get(eventKey(nil, ev.Seq))
		if err != nil {
			t.Fatal(err)
		}
		versions[item.Version()] = append(versions[item.Version()], fmt.Sprintf("gap record %d", ev.Seq))
	}
	it := txn.NewIterator(badger.IteratorOptions{AllVersions: true, Prefix: []byte(prefixEvent)})
	defer it.Close()
	deletes := 0
	for it.Rewind(); it.Valid(); it.Next() {
		if item := it.Item(); item.IsDeletedOrExpired() {
			seq, _ := seqOfKey(item.Key())
			versions[item.Version()] = append(versions[item.Version()], fmt.Sprintf("delete %d", seq))
			deletes++
		}
	}
	if uint64(deletes) != l.Stats().Unreadable || len(versions) != 1 {
		t.Fatalf("%d deletes for %d unreadable; writes by version: %v", deletes, l.Stats().Unreadable, versions)
	}
}
