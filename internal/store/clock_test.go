package store

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/lockhub/lockhub/policy"
)

func TestClockMark(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Config{Dir: dir, ClockTolerance: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	apply(t, s, fixtureBatch(t))
	if m := s.ClockMark(); !m.Newest.IsZero() || m.Tolerance != time.Minute {
		t.Fatalf("new store clock mark = %+v", m)
	}
	s.NoteDecisionTime(t0)
	s.NoteDecisionTime(t0.Add(-time.Hour)) // older: ignored
	if got := s.ClockMark().Newest; !got.Equal(t0) {
		t.Errorf("mark = %v, want %v", got, t0)
	}
	card := digest(t, policy.CredCard, "04A1B2C3")
	tests := []struct {
		now  time.Time
		want policy.Reason
	}{
		{t0, policy.ReasonAllowed},
		{t0.Add(-59 * time.Second), policy.ReasonAllowed},
		{t0.Add(-61 * time.Second), policy.ReasonClockUntrusted},
	}
	for _, tt := range tests {
		if got := s.Decide(tt.now, policy.Request{Lock: "front", Credential: card}); got.Reason != tt.want {
			t.Errorf("Decide at mark%+v = %v, want %v", tt.now.Sub(t0), got.Reason, tt.want)
		}
	}
	// Apply carries the mark to disk.
	apply(t, s, NewBatch())
	if err := s.db.Close(); err != nil { // not Close: it would write the mark too
		t.Fatal(err)
	}
	s.closed = true
	s = openAt(t, dir)
	t.Cleanup(func() { s.Close() })
	if got := s.ClockMark().Newest; !got.Equal(t0) {
		t.Errorf("mark after Apply and reopen = %v, want %v", got, t0)
	}
	// The admin resets a mark that a wrong clock pushed into the future.
	s.NoteDecisionTime(t0.AddDate(1, 0, 0))
	if err := s.ResetClockMark(t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, dir)
	if got := s.ClockMark().Newest; !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("mark after reset = %v, want %v", got, t0.Add(time.Minute))
	}
	if err := s.ResetClockMark(time.Time{}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, dir)
	if m := s.ClockMark(); !m.Newest.IsZero() || m.Tolerance != 0 {
		t.Errorf("cleared mark = %+v (default tolerance is zero in Config)", m)
	}
	if n := testing.AllocsPerRun(100, func() { s.NoteDecisionTime(t0) }); n != 0 {
		t.Errorf("NoteDecisionTime allocates %v times", n)
	}
}

func TestRunPersistsClockAndStops(t *testing.T) {
	var logs bytes.Buffer
	dir := t.TempDir()
	s, err := Open(Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		GCInterval: 5 * time.Millisecond, ClockPersistInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	s.NoteDecisionTime(t0)
	// Wait (bounded) until the ticker has written the mark.
	deadline := time.Now().Add(10 * time.Second)
	for s.clock.persisted.Load() != t0.UnixNano() {
		if time.Now().After(deadline) {
			t.Fatal("Run never persisted the clock mark")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var onDisk time.Time
	err = s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyClock))
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error { onDisk, err = decodeTime(v); return err })
	})
	if err != nil || !onDisk.Equal(t0) {
		t.Errorf("clock on disk = %v, %v", onDisk, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", logs.String())
	}
}
