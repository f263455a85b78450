package events

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

func (v *versions) state() (visible, discard uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.visible.Load(), v.discard
}

// A read sees only versions at or below which every write has finished: a
// write still in flight hides the writes that finished after it.
func TestReadsSeeOnlyFinishedWrites(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	v := l.vers
	base, _ := v.state()

	_, slow := v.beginWrite() // a write that has not finished
	slowTxn := l.db.NewTransactionAt(slow-1, true)
	if err := slowTxn.Set([]byte("t/slow"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := l.update(func(txn *badger.Txn) error { return txn.Set([]byte("t/fast"), []byte("2")) }); err != nil {
		t.Fatal(err)
	}
	if vis, _ := v.state(); vis != base {
		t.Fatalf("visible = %d while the write at %d is in flight, want %d", vis, slow, base)
	}
	if got := readKeys(t, l, "t/fast", "t/slow"); got != "" {
		t.Fatalf("read during the slow write saw %q, want nothing", got)
	}

	if err := slowTxn.CommitAt(slow, nil); err != nil {
		t.Fatal(err)
	}
	// Committed, but not yet marked finished: still invisible.
	if got := readKeys(t, l, "t/fast", "t/slow"); got != "" {
		t.Fatalf("read before endWrite saw %q, want nothing", got)
	}
	v.endWrite(slow)
	if vis, _ := v.state(); vis != slow+1 {
		t.Fatalf("visible = %d after both writes finished, want %d", vis, slow+1)
	}
	if got := readKeys(t, l, "t/fast", "t/slow"); got != "t/fast t/slow " {
		t.Fatalf("read after both writes saw %q, want both keys", got)
	}
}

func readKeys(t *testing.T, l *Log, keys ...string) string {
	t.Helper()
	var out string
	err := l.view(func(txn *badger.Txn) error {
		for _, k := range keys {
			_, err := txn.Get([]byte(k))
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out += k + " "
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Badger may drop old versions only below what an open read still sees.
func TestDiscardWaitsForReaders(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	v := l.vers
	mustAppend(t, l, decisionEvent(1))
	l.settle()
	vis, disc := v.state()
	if disc != vis {
		t.Fatalf("discard = %d with no reader, want visible %d", disc, vis)
	}
	held := v.beginRead()
	for i := range 3 {
		mustAppend(t, l, decisionEvent(2+i))
	}
	l.settle() // the stage's writes reach Badger
	vis, disc = v.state()
	if vis <= held || disc != held {
		t.Fatalf("with a reader at %d: visible %d, discard %d; want visible > %d and discard %d", held, vis, disc, held, held)
	}
	v.endRead(held)
	if vis, disc = v.state(); disc != vis {
		t.Fatalf("discard = %d after the reader ended, want visible %d", disc, vis)
	}
}

// A write that fails before committing still releases its version.
func TestFailedWriteReleasesItsVersion(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	boom := errors.New("boom")
	if err := l.update(func(*badger.Txn) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("update = %v, want boom", err)
	}
	seq := mustAppend(t, l, decisionEvent(1))
	if _, err := l.Get(seq); err != nil {
		t.Fatalf("Get after a failed write: %v", err)
	}
	l.vers.mu.Lock()
	n := len(l.vers.inflight)
	l.vers.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d writes still in flight, want 0", n)
	}
}

// A log written by a build that let Badger assign versions (before managed
// mode) opens, keeps its events and goes on from them.
func TestOpensLogWrittenWithBadgersVersions(t *testing.T) {
	cfg := testConfig(t.TempDir())
	db, err := badger.Open(badger.DefaultOptions(cfg.Dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	old := Event{Seq: 1, Epoch: cfg.Epoch, Type: TypeAdmin, Time: time.Unix(1_700_000_000, 0).UTC(),
		Ingest: time.Unix(1_700_000_000, 0).UTC(), Action: "reload"}
	for i := range 5 { // several versions, so Badger's counter is past 1
		if err := db.Update(func(txn *badger.Txn) error {
			if i == 4 {
				return txn.Set(eventKey(nil, 1), appendRecord(nil, &old, sealed{}))
			}
			return txn.Set([]byte("t/filler"), u64(uint64(i)))
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	l := openLog(t, cfg)
	want := uint64(5) // Badger's last version
	if cfg.StageDir != "" {
		want++ // the stage's marker, written by Open
	}
	want++ // the synced mark, written by Open after it read the log back
	if vis, _ := l.vers.state(); vis != want {
		t.Fatalf("visible after open = %d, want %d", vis, want)
	}
	if got, err := l.Get(1); err != nil || got.Action != "reload" {
		t.Fatalf("Get(1) = %+v, %v; want the old admin event", got, err)
	}
	seq, err := l.Append(context.Background(), decisionEvent(2))
	if err != nil || seq != 2 {
		t.Fatalf("Append = %d, %v; want seq 2", seq, err)
	}
	evs, err := l.Peek(0, 10, 0)
	if err != nil || len(evs) != 2 {
		t.Fatalf("Peek = %d events, %v; want 2", len(evs), err)
	}
}

// Background syncs are timed: total, longest, and those of SlowSync or more.
func TestSyncTimesAreCounted(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	base := l.Stats()
	l.noteSync(10 * time.Millisecond)
	l.noteSync(SlowSync + 10*time.Millisecond)
	l.noteSync(SlowSync)
	st := l.Stats()
	if got := st.SyncTime - base.SyncTime; got != 2*SlowSync+20*time.Millisecond {
		t.Errorf("SyncTime grew by %v, want %v", got, 2*SlowSync+20*time.Millisecond)
	}
	if st.SyncMax < SlowSync+10*time.Millisecond {
		t.Errorf("SyncMax = %v, want at least %v", st.SyncMax, SlowSync+10*time.Millisecond)
	}
	if got := st.SlowSyncs - base.SlowSyncs; got != 2 {
		t.Errorf("SlowSyncs grew by %d, want 2", got)
	}
}
