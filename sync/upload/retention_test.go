package upload_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/simulators/upstream"
	"github.com/lockhub/lockhub/sync/upload"
)

// scanDir returns the needles found in plaintext in any file under root.
func scanDir(tb testing.TB, root string, needles []string) []string {
	tb.Helper()
	var found []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				found = append(found, n+" in "+p)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return found
}

func TestRetentionScrubsAndUploadsScrubbed(t *testing.T) {
	root := t.TempDir()
	cfg := logConfig(root)
	day1 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	clk := newClock(day1)
	cfg.Now = clk.Now
	l := openLog(t, cfg)
	r := newRig(t, l, true, nil)

	// 1..100: uploaded on day 1. 101..200: still queued when their
	// retention ends. 201..300: 40 days later, fresh.
	appendN(t, l, 0, 100)
	if err := r.up.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 100, 100)
	clk.Set(day1.Add(40 * 24 * time.Hour))
	appendN(t, l, 200, 100)

	var erased []string
	ret, err := upload.NewRetention(upload.RetentionConfig{Domains: map[string]time.Duration{"office": 30 * 24 * time.Hour}},
		upload.RetentionDeps{Log: l, Now: clk.Now, EraseMembers: func(_ context.Context, domain string, cutoff time.Time) (int, error) {
			erased = append(erased, domain+"@"+cutoff.Format(time.DateOnly))
			return 0, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ret.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(erased) != 2 { // "office" and the "" default domain
		t.Errorf("member eraser calls = %v", erased)
	}
	// The uploaded day-1 events left the audit copy.
	if _, err := l.Get(1); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("Get(1) after retention = %v, want ErrNotFound", err)
	}
	if err := r.up.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	checkComplete(t, r.sink, 300)
	for seq := uint64(101); seq <= 300; seq++ {
		ev, ok := r.sink.Event(testHub, testEpoch, seq)
		if !ok {
			t.Fatalf("sink lacks %d", seq)
		}
		old := seq <= 200
		if ev.Type != "decision" {
			continue
		}
		if old && (!ev.Scrubbed || ev.HasPersonal()) {
			t.Fatalf("queued past retention: event %d = %+v, want scrubbed without personal fields", seq, ev)
		}
		if !old && (ev.Scrubbed || ev.Name == "" || ev.Email == "" || ev.CredentialRef == "") {
			t.Fatalf("fresh event %d = %+v, want its personal fields", seq, ev)
		}
		if old && (ev.Member == "" || ev.Lock == "" || ev.Reason == "") {
			t.Fatalf("scrubbed event %d lost its non-personal fields: %+v", seq, ev)
		}
	}
	if err := ret.RunOnce(t.Context()); err != nil { // now prunes 101..200 too
		t.Fatal(err)
	}
	if ev, err := l.Get(150); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("Get(150) = %+v %v, want pruned", ev, err)
	}
	fresh := freshDecision(t, l)
	if fresh.Scrubbed || fresh.Personal.IsZero() {
		t.Errorf("fresh event %d = %+v, want its personal fields", fresh.Seq, fresh.Personal)
	}
	marker := decision(999)
	marker.RequestID = "marker-plain-Vb9qXk"
	if _, err := l.Append(t.Context(), marker); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var old []string
	for i := range 200 {
		if i%10 == 0 {
			continue // door events carry no personal fields
		}
		p := person(i)
		old = append(old, p.Name, p.Email, p.CredentialRef)
	}
	if found := scanDir(t, root, old); len(found) > 0 {
		t.Errorf("old personal fields in plaintext: %v", found[:min(5, len(found))])
	}
	// A plaintext marker proves the scan reads what is stored.
	if found := scanDir(t, root, []string{marker.RequestID}); len(found) == 0 {
		t.Fatal("scan does not see stored plaintext")
	}
	l = openLog(t, cfg)
	if ev := freshDecision(t, l); ev.Personal != fresh.Personal {
		t.Errorf("fresh event %d after reopen = %+v, want %+v", ev.Seq, ev.Personal, fresh.Personal)
	}
}

// freshDecision returns the first decision stored from seq 250 on.
func freshDecision(tb testing.TB, l *events.Log) events.Event {
	tb.Helper()
	for seq := uint64(250); seq < 300; seq++ {
		ev, err := l.Get(seq)
		if err != nil {
			tb.Fatalf("Get(%d): %v", seq, err)
		}
		if ev.Type == events.TypeDecision {
			return ev
		}
	}
	tb.Fatal("no decision in 250..300")
	return events.Event{}
}

func TestRetentionConfig(t *testing.T) {
	if _, err := upload.NewRetention(upload.RetentionConfig{}, upload.RetentionDeps{}); err == nil {
		t.Error("no log accepted")
	}
	l := openLog(t, logConfig(t.TempDir()))
	for _, c := range []upload.RetentionConfig{
		{Schedule: "every tuesday"},
		{Domains: map[string]time.Duration{"x": -time.Hour}},
	} {
		if _, err := upload.NewRetention(c, upload.RetentionDeps{Log: l}); err == nil {
			t.Errorf("NewRetention(%+v) accepted", c)
		}
	}
	ret, err := upload.NewRetention(upload.RetentionConfig{}, upload.RetentionDeps{Log: l,
		EraseMembers: func(context.Context, string, time.Time) (int, error) { return 0, errors.New("store closed") }})
	if err != nil {
		t.Fatal(err)
	}
	if err := ret.RunOnce(t.Context()); err == nil {
		t.Error("eraser error not returned")
	}
}

// TestInflightScrubbedDuringOutage: a batch built with personal fields, then
// refused while the retention destroys their keys, is resent scrubbed
// under the next revision's key, never with the personal data.
func TestInflightScrubbedDuringOutage(t *testing.T) {
	cfg := logConfig(t.TempDir())
	day1 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	clk := newClock(day1)
	cfg.Now = clk.Now
	l := openLog(t, cfg)
	r := newRig(t, l, true, nil)
	appendN(t, l, 0, 50)
	ret, err := upload.NewRetention(upload.RetentionConfig{Domains: map[string]time.Duration{"office": 24 * time.Hour}},
		upload.RetentionDeps{Log: l, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	r.sink.SetFaults(upstream.Fault{Kind: upstream.FaultStatus, Status: 503, Times: 1})
	r.onSleep = func(int) {
		clk.Set(day1.Add(3 * 24 * time.Hour))
		if err := ret.RunOnce(context.Background()); err != nil {
			t.Error(err)
		}
	}
	if err := r.up.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	checkComplete(t, r.sink, 50)
	if !strings.Contains(r.logs.String(), "resending under a new key") || r.sink.Keys() != 1 {
		t.Errorf("keys %d; logs:\n%s", r.sink.Keys(), r.logs)
	}
	for seq := uint64(1); seq <= 50; seq++ {
		if ev, _ := r.sink.Event(testHub, testEpoch, seq); ev.HasPersonal() || (ev.Type == "decision" && !ev.Scrubbed) {
			t.Fatalf("event %d = %+v, want scrubbed", seq, ev)
		}
	}
}
