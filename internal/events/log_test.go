package events

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

func TestAppendReopenKeepsOrderAndSeq(t *testing.T) {
	for _, d := range []Durability{DurabilityProcess, DurabilityDisk} {
		t.Run(d.String(), func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			cfg.Durability = d
			clock := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
			cfg.Now = clock.Now
			l := openLog(t, cfg)
			var want []Event
			for i := range 50 {
				ev := decisionEvent(i)
				if i%3 == 0 {
					ev.Personal = Personal{Name: "Member " + itoa(i), Email: "m" + itoa(i) + "@example.org"}
				}
				seq := mustAppend(t, l, ev)
				if seq != uint64(i+1) || ev.Seq != seq || ev.Epoch != "epoch-1" || !ev.Ingest.Equal(clock.Now()) {
					t.Fatalf("append %d: seq %d, event %d/%q/%v", i, seq, ev.Seq, ev.Epoch, ev.Ingest)
				}
				want = append(want, *ev)
			}
			if err := l.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			l = openLog(t, cfg)
			got := peekAll(t, l)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("after reopen: %d events, want %d; first got %+v want %+v", len(got), len(want), got[0], want[0])
			}
			if seq := mustAppend(t, l, decisionEvent(99)); seq != 51 {
				t.Errorf("seq after reopen = %d, want 51", seq)
			}
		})
	}
}

func TestSeqNeverReusedAfterPruneAndReopen(t *testing.T) {
	cfg := testConfig(t.TempDir())
	clock := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	cfg.Now = clock.Now
	l := openLog(t, cfg)
	for i := range 10 {
		mustAppend(t, l, decisionEvent(i))
	}
	if err := l.Ack(10); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Hour)
	n, err := l.PruneBefore(clock.Now())
	if err != nil || n != 10 {
		t.Fatalf("PruneBefore = %d, %v; want 10", n, err)
	}
	if _, err := l.Get(5); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(5) after prune: %v, want ErrNotFound", err)
	}
	l.Close()
	l = openLog(t, cfg)
	if seq := mustAppend(t, l, decisionEvent(0)); seq != 11 {
		t.Errorf("seq after prune+reopen = %d, want 11", seq)
	}
}

func TestPruneKeepsOutboxAndNewer(t *testing.T) {
	cfg := testConfig(t.TempDir())
	clock := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	cfg.Now = clock.Now
	l := openLog(t, cfg)
	for i := range 10 {
		if i == 5 {
			clock.Add(2 * time.Hour)
		}
		mustAppend(t, l, decisionEvent(i))
	}
	cutoff := clock.Now().Add(-time.Hour) // events 1..5 are older
	if err := l.Ack(3); err != nil {
		t.Fatal(err)
	}
	if n, err := l.PruneBefore(cutoff); err != nil || n != 3 {
		t.Fatalf("PruneBefore with 3 acked = %d, %v; want 3 (un-uploaded events stay)", n, err)
	}
	if err := l.Ack(10); err != nil {
		t.Fatal(err)
	}
	if n, err := l.PruneBefore(cutoff); err != nil || n != 2 {
		t.Fatalf("PruneBefore all acked = %d, %v; want 2 (newer events stay)", n, err)
	}
	recent, err := l.Recent(100)
	if err != nil || len(recent) != 5 || recent[0].Seq != 10 || recent[4].Seq != 6 {
		t.Fatalf("Recent after prune = %d events (%v), want seqs 10..6", len(recent), err)
	}
}

func TestAppendRefusesInvalid(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	long := string(make([]byte, MaxFieldLen+1))
	tests := []struct {
		name string
		ev   Event
		want error
	}{
		{"no type", Event{Lock: "l"}, ErrInvalid},
		{"decision without reason", Event{Type: TypeDecision}, ErrInvalid},
		{"allowed but denied reason", Event{Type: TypeDecision, Allowed: true, Reason: policy.ReasonExpired}, ErrInvalid},
		{"door without lock", Event{Type: TypeDoor}, ErrInvalid},
		{"gap without range", Event{Type: TypeGap}, ErrInvalid},
		{"field too long", Event{Type: TypeAdmin, Actor: long}, ErrTooLarge},
		{"personal too long", Event{Type: TypeAdmin, Personal: Personal{Email: long}}, ErrTooLarge},
		{"largest fields fit", Event{Type: TypeAdmin, Action: long[:1000], Actor: long[:1000], Lock: long[:1000],
			RequestID: long[:1000], Domain: long[:1000], Member: long[:1000], Access: long[:1000],
			DoorKind: long[:1000], GapReason: long[:1000], Personal: Personal{long[:1000], long[:1000], long[:1000]},
			Grant: policy.GrantKey{Reference: long[:1000]}, Epoch: long[:1000]}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev
			_, err := l.Append(t.Context(), &ev)
			if tc.want == nil {
				// 14 fields of 1000 bytes do not exceed MaxRecordSize; a bigger
				// one cannot be built from MaxFieldLen fields, so check fit.
				if err != nil {
					t.Fatalf("Append = %v, want success", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Append error = %v, want %v", err, tc.want)
			}
		})
	}
	if st := l.Stats(); st.LastSeq != 1 {
		t.Errorf("LastSeq = %d after refused appends, want 1", st.LastSeq)
	}
}

func TestAppendAfterCloseAndCancelled(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.Append(ctx, decisionEvent(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with cancelled ctx = %v", err)
	}
	l.Close()
	if _, err := l.Append(t.Context(), decisionEvent(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestConcurrentAppendersGetUniqueGapFreeSeqs(t *testing.T) {
	for _, d := range []Durability{DurabilityProcess, DurabilityDisk} {
		t.Run(d.String(), func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			cfg.Durability = d
			l := openLog(t, cfg)
			const workers, each = 8, 150
			seqs := make([][]uint64, workers)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						ev := decisionEvent(i)
						ev.Personal = Personal{Name: "W" + itoa(w)}
						seq, err := l.Append(context.Background(), ev)
						if err != nil {
							t.Error(err)
							return
						}
						seqs[w] = append(seqs[w], seq)
					}
				})
			}
			wg.Wait()
			var all []uint64
			for _, s := range seqs {
				if !sort.SliceIsSorted(s, func(i, j int) bool { return s[i] < s[j] }) {
					t.Errorf("one appender's seqs not increasing: %v", s)
				}
				all = append(all, s...)
			}
			sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
			for i, s := range all {
				if s != uint64(i+1) {
					t.Fatalf("seq #%d = %d: duplicates or gaps", i, s)
				}
			}
			st := l.Stats()
			if st.Appended != workers*each {
				t.Errorf("Stats = %+v: want %d appended", st, workers*each)
			}
			// Group commit: appends that queue behind a commit share the next.
			// With the stage a commit is a copy into memory, too short for
			// appenders to queue behind reliably; each fsync is not.
			if d == DurabilityDisk && st.Batches >= workers*each {
				t.Errorf("Stats = %+v: want fewer batches than appends", st)
			}
			t.Logf("%s: %d appends in %d batches, %d writes", d, st.Appended, st.Batches, st.Writes)
		})
	}
}

func TestCorruptRecordIsReported(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	mustAppend(t, l, decisionEvent(1))
	if err := l.update(func(txn *badgerTxn) error {
		return txn.Set(eventKey(nil, 2), []byte("garbage"))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Peek(0, 10, 0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Peek over a garbage record = %v, want ErrCorrupt", err)
	}
	if err := l.update(func(txn *badgerTxn) error {
		return txn.Set(eventKey(nil, 2), appendRecord(nil, &Event{Seq: 7, Type: TypeAdmin}, sealed{}))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Get(2); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Get of a record stored under another seq = %v, want ErrCorrupt", err)
	}
}

func TestConfigAndDurabilityParsing(t *testing.T) {
	for _, cfg := range []Config{
		{KeysDir: "k", Epoch: "e"}, {Dir: "d", Epoch: "e"}, {Dir: "d", KeysDir: "k"},
		{Dir: "d", KeysDir: "k", Epoch: "e", Durability: 7},
		{Dir: "d", KeysDir: "k", Epoch: "e", MaxOutboxEvents: -1},
	} {
		if _, err := Open(cfg); err == nil {
			t.Errorf("Open(%+v) succeeded", cfg)
		}
	}
	for _, d := range []Durability{DurabilityProcess, DurabilityDisk} {
		if got, err := ParseDurability(d.String()); err != nil || got != d {
			t.Errorf("ParseDurability(%q) = %v %v", d, got, err)
		}
	}
	if _, err := ParseDurability("fsync"); err == nil {
		t.Error("ParseDurability(fsync) succeeded")
	}
	for ty := TypeDecision; ty < numTypes; ty++ {
		if got, err := ParseType(ty.String()); err != nil || got != ty {
			t.Errorf("ParseType(%q) = %v %v", ty, got, err)
		}
	}
}

func TestRunAndBackgroundSync(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.FlushInterval = 5 * time.Millisecond
	cfg.GCInterval = time.Millisecond
	l := openLog(t, cfg)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	mustAppend(t, l, decisionEvent(1))
	deadline := time.Now().Add(10 * time.Second)
	for l.Stats().Syncs == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := l.Stats(); st.Syncs == 0 {
		t.Errorf("no background sync after an append: %+v", st)
	}
	syncs := l.Stats().Syncs
	time.Sleep(50 * time.Millisecond) // idle: nothing to sync
	if got := l.Stats().Syncs; got != syncs {
		t.Errorf("syncs while idle: %d -> %d", syncs, got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

// Large events gathered into one batch exceed Badger's transaction limit:
// the committer splits the batch into several transactions, keeping each
// door event with its index entry. The batch is handed to commitBatch
// directly (the committer is idle) so that its size is certain.
func TestLargeBatchSplitsIntoTransactions(t *testing.T) {
	l := openLog(t, testConfig(t.TempDir()))
	mustAppend(t, l, decisionEvent(0)) // seq 1, through the committer
	big := string(make([]byte, 1000))
	const n = 200 // 150 stored of about 6 kB each: 0.9 MB, beyond the ~0.6 MB per transaction
	c := &committer{}
	for i := range n {
		c.batch = append(c.batch, &request{done: make(chan struct{}, 1), ev: Event{
			Type: TypeDoor, Lock: "lock-" + itoa(i%3), Boot: 1, LockSeq: uint64(i % 150), // 50 resends
			DoorKind: big, Action: big, RequestID: big, Member: big, Domain: "d",
			Personal: Personal{Name: big, Email: big, CredentialRef: big}}})
	}
	before := l.Stats().Writes
	l.commitBatch(c)
	if w := l.Stats().Writes - before; w < 2 {
		t.Errorf("batch of %d large events written in %d transactions, want several", n, w)
	}
	seqs := map[uint64]bool{}
	for i, r := range c.batch {
		if r.err != nil {
			t.Fatalf("request %d: %v", i, r.err)
		}
		if r.dup != (i >= 150) {
			t.Errorf("request %d: dup = %v", i, r.dup)
		}
		if !r.dup {
			seqs[r.seq] = true
		}
	}
	if len(seqs) != 150 || !seqs[2] || !seqs[151] {
		t.Errorf("stored seqs: %d distinct, want 2..151", len(seqs))
	}
	if got := len(peekAll(t, l)); got != 151 {
		t.Errorf("outbox holds %d, want 151", got)
	}
	// Every door event is recognised on resend: its index went with it.
	for i := range 150 {
		ev := &Event{Type: TypeDoor, Lock: "lock-" + itoa(i%3), Boot: 1, LockSeq: uint64(i)}
		if _, dup, err := l.AppendDoor(t.Context(), ev); err != nil || !dup {
			t.Fatalf("resend %d: dup %v, %v; want duplicate", i, dup, err)
		}
	}
	if seq := mustAppend(t, l, decisionEvent(0)); seq != 152 {
		t.Errorf("next seq = %d, want 152", seq)
	}
}

// An append whose caller stopped waiting (its ctx ended after the event was
// queued) is still committed, by the background loop, within a flush
// interval: Append's "the outcome is unknown" then resolves to stored.
func TestAbandonedAppendIsCommitted(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.FlushInterval = 10 * time.Millisecond
	l := openLog(t, cfg)
	// Queue a request the way Append does, with nobody waiting on it.
	r := l.pool.Get().(*request)
	r.ev = *decisionEvent(1)
	l.reqs <- r
	deadline := time.Now().Add(10 * time.Second)
	for l.Stats().Appended != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("abandoned append not committed: %+v", l.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-r.done:
	default:
		t.Error("the abandoned request was not answered")
	}
	if r.seq != 1 || r.err != nil {
		t.Errorf("abandoned request: seq %d, err %v; want 1, nil", r.seq, r.err)
	}
}

// Close commits what is queued before it returns.
func TestCloseCommitsQueued(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.FlushInterval = time.Hour // the rescue loop must not be what commits
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := l.pool.Get().(*request)
	r.ev = *decisionEvent(1)
	l.reqs <- r
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2 := openLog(t, cfg)
	if got := peekAll(t, l2); len(got) != 1 || got[0].RequestID != "req-1" {
		t.Errorf("after Close and reopen the outbox holds %d events, want the queued one", len(got))
	}
}
