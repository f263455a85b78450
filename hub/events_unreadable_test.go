package hub_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/policy"
)

// A hub that starts on an event log whose newest records a power cut took
// (their value-log data never reached the disk) drops them, says so on
// /readyz (events_unreadable) and in /metrics, and runs on.
func TestEventsUnreadableAfterPowerCut(t *testing.T) {
	dir := t.TempDir()
	evDir := filepath.Join(dir, "events")
	l, err := events.Open(events.Config{Dir: evDir, KeysDir: filepath.Join(dir, "events-keys"), Epoch: "before",
		FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		if _, err := l.Append(context.Background(), &events.Event{Type: events.TypeDecision, Time: time.Now(),
			Lock: "front-door", RequestID: "r" + strconv.Itoa(i), Domain: "hq", Allowed: false,
			Reason: policy.ReasonUnknownCredential, Credential: policy.CredCard}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// The power cut: the value log's last quarter never reached the disk.
	files, _ := filepath.Glob(filepath.Join(evDir, "*.vlog"))
	slices.Sort(files)
	cut := false
	for _, f := range slices.Backward(files) {
		if st, err := os.Stat(f); err == nil && st.Size() > 20 {
			if err := os.Truncate(f, st.Size()-(st.Size()-20)/4); err != nil {
				t.Fatal(err)
			}
			cut = true
			break
		}
	}
	if !cut {
		t.Fatalf("no value-log data in %v", files)
	}

	w := startWeb(t, webYAML(dir, ""))
	if _, hv := readyz(t, w); severityOf(hv, hub.WarnEventsUnreadable) != "warning" {
		t.Errorf("readyz warnings %+v: want events_unreadable", hv.Warnings)
	}
	_, body, _ := w.get(t, "/metrics", "Accept", "text/plain")
	m := regexp.MustCompile(`(?m)^lockhub_events_unreadable_events_total (\d+)$`).FindStringSubmatch(body)
	if m == nil || m[1] == "0" {
		t.Errorf("lockhub_events_unreadable_events_total = %v, want some", m)
	}
}
