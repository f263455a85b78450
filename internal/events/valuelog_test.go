package events

import (
	"path/filepath"
	"testing"
	"time"
)

func vlogFiles(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.vlog"))
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, f := range files {
		set[filepath.Base(f)] = true
	}
	return set
}

// With the records in the value log (process durability), pruning them and
// collecting the value log gives the disk back: a value-log file whose
// records were all pruned is deleted.
func TestPrunedRecordsLeaveTheValueLog(t *testing.T) {
	cfg := testConfig(t.TempDir())
	clock := newClock(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
	cfg.Now = clock.Now
	l := openLog(t, cfg)
	const n = 200_000 // about 65 MB of records: full 16 MiB value-log files and more
	for i := range n {
		ev := decisionEvent(i)
		ev.Personal = Personal{Name: "Member " + itoa(i), Email: "member" + itoa(i) + "@example.org"}
		mustAppend(t, l, ev)
	}
	if err := l.Ack(n); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Recent(1); err != nil { // the stage applied: every record in Badger
		t.Fatal(err)
	}
	before := vlogFiles(t, cfg.Dir)
	if len(before) < 3 {
		t.Fatalf("value-log files %v: want the records spread over several", before)
	}
	clock.Add(48 * time.Hour)
	if k, err := l.PruneBefore(clock.Now().Add(-time.Hour)); err != nil || k != n {
		t.Fatalf("PruneBefore = %d, %v; want %d", k, err, n)
	}
	// A running hub's memtable flushes and compactions record what the
	// deletes discard; here a reopen flushes and Flatten compacts.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, cfg)
	if err := l.db.Flatten(2); err != nil {
		t.Fatal(err)
	}
	for l.db.RunValueLogGC(0.5) == nil {
	}
	after := vlogFiles(t, cfg.Dir)
	gone := 0
	for f := range before {
		if !after[f] {
			gone++
		}
	}
	if gone == 0 {
		t.Errorf("value-log files before %v, after %v: none collected", before, after)
	}
}
