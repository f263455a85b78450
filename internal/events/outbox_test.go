package events

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestDoorDedupe(t *testing.T) {
	cfg := testConfig(t.TempDir())
	l := openLog(t, cfg)
	door := func(boot uint32, seq uint64) *Event {
		return &Event{Type: TypeDoor, Lock: "garage", Boot: boot, LockSeq: seq, DoorKind: "opened"}
	}
	s1, dup, err := l.AppendDoor(t.Context(), door(1, 1))
	if err != nil || dup || s1 != 1 {
		t.Fatalf("first AppendDoor = %d %v %v", s1, dup, err)
	}
	s2, dup, err := l.AppendDoor(t.Context(), door(1, 1))
	if err != nil || !dup || s2 != s1 {
		t.Fatalf("resent AppendDoor = %d %v %v, want %d duplicate", s2, dup, err, s1)
	}
	if seq, err := l.Append(t.Context(), door(1, 1)); err != nil || seq != s1 {
		t.Errorf("Append of a resent door event = %d %v, want %d", seq, err, s1)
	}
	for _, ev := range []*Event{door(2, 1), door(1, 2),
		{Type: TypeDoor, Lock: "front", Boot: 1, LockSeq: 1}} {
		if _, dup, err := l.AppendDoor(t.Context(), ev); err != nil || dup {
			t.Errorf("AppendDoor(%s,%d,%d) = dup %v, err %v; want new", ev.Lock, ev.Boot, ev.LockSeq, dup, err)
		}
	}
	if _, _, err := l.AppendDoor(t.Context(), decisionEvent(1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("AppendDoor of a decision = %v, want ErrInvalid", err)
	}

	// The same event resent concurrently: stored once (the committer may
	// see several copies in one batch).
	var wg sync.WaitGroup
	var mu sync.Mutex
	seqs := map[uint64]int{}
	news := 0
	for range 20 {
		wg.Go(func() {
			seq, dup, err := l.AppendDoor(context.Background(), door(3, 9))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			seqs[seq]++
			if !dup {
				news++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(seqs) != 1 || news != 1 {
		t.Errorf("concurrent resends: seqs %v, %d stored; want one seq stored once", seqs, news)
	}
	if got := len(peekAll(t, l)); got != 5 {
		t.Errorf("outbox holds %d events, want 5", got)
	}
	l.Close()

	l = openLog(t, cfg)
	if seq, dup, err := l.AppendDoor(t.Context(), door(1, 1)); err != nil || !dup || seq != s1 {
		t.Errorf("resent after reopen = %d %v %v, want %d duplicate", seq, dup, err, s1)
	}
	if st := l.Stats(); st.Duplicates != 1 {
		t.Errorf("Stats.Duplicates = %d, want 1", st.Duplicates)
	}
}

func TestPeekAckPendingRecent(t *testing.T) {
	cfg := testConfig(t.TempDir())
	clock := newClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	cfg.Now = clock.Now
	l := openLog(t, cfg)
	if n, oldest := l.Pending(); n != 0 || !oldest.IsZero() {
		t.Fatalf("Pending on empty log = %d %v", n, oldest)
	}
	first := clock.Now()
	for i := range 20 {
		mustAppend(t, l, decisionEvent(i))
		clock.Add(time.Second)
	}
	seqsOf := func(evs []Event) []uint64 {
		var s []uint64
		for _, e := range evs {
			s = append(s, e.Seq)
		}
		return s
	}
	peek := func(after uint64, max, maxBytes int) []uint64 {
		t.Helper()
		evs, err := l.Peek(after, max, maxBytes)
		if err != nil {
			t.Fatalf("Peek: %v", err)
		}
		return seqsOf(evs)
	}
	if got := peek(0, 3, 0); !reflect.DeepEqual(got, []uint64{1, 2, 3}) {
		t.Errorf("Peek(0,3) = %v", got)
	}
	if got := peek(17, 10, 0); !reflect.DeepEqual(got, []uint64{18, 19, 20}) {
		t.Errorf("Peek(17,10) = %v", got)
	}
	if got := peek(0, 10, 1); !reflect.DeepEqual(got, []uint64{1}) {
		t.Errorf("Peek with a 1-byte budget = %v, want the first event only", got)
	}
	if got := peek(0, 100, 250); len(got) < 2 || len(got) > 5 {
		t.Errorf("Peek with a 250-byte budget = %v, want a few events", got)
	}
	if n, oldest := l.Pending(); n != 20 || !oldest.Equal(first) {
		t.Errorf("Pending = %d %v, want 20 %v", n, oldest, first)
	}
	if err := l.Ack(5); err != nil {
		t.Fatal(err)
	}
	if got := peek(0, 2, 0); !reflect.DeepEqual(got, []uint64{6, 7}) {
		t.Errorf("Peek after Ack(5) = %v", got)
	}
	if err := l.Ack(3); err != nil { // going back is ignored
		t.Fatal(err)
	}
	if n, oldest := l.Pending(); n != 15 || !oldest.Equal(first.Add(5*time.Second)) {
		t.Errorf("Pending after Ack = %d %v", n, oldest)
	}
	if ev, err := l.Get(2); err != nil || ev.Seq != 2 {
		t.Errorf("acked event not in audit copy: %v %v", ev.Seq, err)
	}
	recent, err := l.Recent(3)
	if err != nil || !reflect.DeepEqual(seqsOf(recent), []uint64{20, 19, 18}) {
		t.Errorf("Recent(3) = %v %v", seqsOf(recent), err)
	}
	if err := l.Ack(1000); err != nil { // clamped to the last seq
		t.Fatal(err)
	}
	if st := l.Stats(); st.AckedUpto != 20 || st.Pending != 0 || st.LastSeq != 20 || st.Appended != 20 {
		t.Errorf("Stats = %+v", st)
	}
	l.Close()
	l = openLog(t, cfg)
	if n, _ := l.Pending(); n != 0 {
		t.Errorf("Pending after reopen = %d, want 0 (ack persisted)", n)
	}
	mustAppend(t, l, decisionEvent(0))
	if got := peek(0, 10, 0); !reflect.DeepEqual(got, []uint64{21}) {
		t.Errorf("Peek after reopen = %v", got)
	}
}

func TestOutboxCapWritesGapRecords(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MaxOutboxEvents = 10
	l := openLog(t, cfg)
	for i := range 35 {
		mustAppend(t, l, decisionEvent(i))
	}
	st := l.Stats()
	if st.Pending > 10 || st.Dropped == 0 || st.Gaps == 0 {
		t.Fatalf("Stats = %+v, want pending <= 10 and drops", st)
	}
	evs := peekAll(t, l)
	if len(evs) != st.Pending {
		t.Errorf("Peek returned %d events, Pending says %d", len(evs), st.Pending)
	}
	// Every seq 1..last is either still in the outbox or inside the range
	// of a gap record that is (or was, if itself dropped) in the outbox.
	covered := map[uint64]bool{}
	var dropped uint64
	for _, ev := range evs {
		covered[ev.Seq] = true
		if ev.Type == TypeGap {
			if ev.GapReason != GapOutboxFull {
				t.Errorf("gap reason %q", ev.GapReason)
			}
			for s := ev.GapFrom; s <= ev.GapTo; s++ {
				covered[s] = true
			}
			dropped += ev.GapTo - ev.GapFrom + 1
		}
	}
	if dropped == 0 {
		t.Fatal("no gap record in the outbox")
	}
	lowest := evs[0].Seq
	for _, ev := range evs {
		if ev.Type == TypeGap {
			lowest = min(lowest, ev.GapFrom)
		}
	}
	for s := lowest; s <= st.LastSeq; s++ {
		if !covered[s] {
			t.Errorf("seq %d neither in the outbox nor declared dropped", s)
		}
	}
	if _, err := l.Get(1); !errors.Is(err, ErrNotFound) {
		t.Errorf("dropped event 1 still stored: %v", err)
	}
}
