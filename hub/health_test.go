package hub_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/internal/store"
)

// nexudusYAML is webYAML with domain hq following a Nexudus business and
// an offline horizon of 2h on both locks.
func nexudusYAML(dir string) string {
	// Nothing listens on 127.0.0.1:1: the syncer's passes fail fast, on loopback.
	y := webYAML(dir, "nexudus:\n  base_url: http://127.0.0.1:1/api/\n  username: hub@example.org\n  password_env: LOCKHUB_TEST_NEXUDUS_PASSWORD\n")
	y = strings.Replace(y, "    zone: Europe/Stockholm\n", "    zone: Europe/Stockholm\n    nexudus_business: biz-1\n", 1)
	y = strings.ReplaceAll(y, "    domain: hq\n    name: Front door\n", "    domain: hq\n    name: Front door\n    offline_horizon: 2h\n")
	y = strings.ReplaceAll(y, "    domain: hq\n    name: Back door\n", "    domain: hq\n    name: Back door\n    offline_horizon: 2h\n")
	return y
}

func readyz(t *testing.T, w *webHub) (int, hub.HealthView) {
	t.Helper()
	code, body, _ := w.get(t, "/readyz")
	var hv hub.HealthView
	if err := json.Unmarshal([]byte(body), &hv); err != nil {
		t.Fatalf("readyz body %q: %v", body, err)
	}
	return code, hv
}

func severityOf(hv hub.HealthView, code string) string {
	for _, w := range hv.Warnings {
		if w.Code == code {
			return w.Severity.String()
		}
	}
	return ""
}

// TestReadyzFollowsDataAge: with Nexudus configured, /readyz is unready
// before the first sync, ready after one, shows grants_stale as a warning
// past an hour, turns unready once the data is older than the locks'
// offline horizon (injected clock), and is ready again after a sync.
func TestReadyzFollowsDataAge(t *testing.T) {
	t.Setenv("LOCKHUB_TEST_NEXUDUS_PASSWORD", "test-password")
	w := startWeb(t, nexudusYAML(t.TempDir()))
	setSync := func() {
		b := store.NewBatch()
		b.SetLastSync("hq", w.clock.Now())
		if err := w.Store().Apply(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name  string
		do    func()
		code  int
		stale string // severity of grants_stale, "" when absent
	}{
		{"never synced", func() {}, 503, "critical"},
		{"after a sync", setSync, 200, ""},
		{"90 minutes later", func() { w.clock.Advance(90 * time.Minute) }, 200, "warning"},
		{"past the offline horizon", func() { w.clock.Advance(31 * time.Minute) }, 503, "critical"},
		{"synced again", setSync, 200, ""},
	}
	for _, s := range steps {
		s.do()
		code, hv := readyz(t, w)
		if code != s.code || hv.Ready != (s.code == 200) || severityOf(hv, hub.WarnGrantsStale) != s.stale {
			t.Fatalf("%s: /readyz = %d ready=%v grants_stale=%q, want %d and %q (%+v)",
				s.name, code, hv.Ready, severityOf(hv, hub.WarnGrantsStale), s.code, s.stale, hv.Warnings)
		}
		_, body, _ := w.get(t, "/metrics")
		wantMetric := `lockhub_health_warning{code="grants_stale",severity="critical"} 1`
		if (s.stale == "critical") != strings.Contains(body, wantMetric) {
			t.Errorf("%s: /metrics and /readyz disagree on %s", s.name, wantMetric)
		}
	}
	if code, body, _ := w.get(t, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
}

// TestLockOfflineWarning: a configured lock that never connected raises
// lock_offline once its time to visible has passed (injected clock).
func TestLockOfflineWarning(t *testing.T) {
	w := startWeb(t, webYAML(t.TempDir(), ""))
	_, hv := readyz(t, w)
	if severityOf(hv, hub.WarnLockOffline) != "" {
		t.Fatalf("lock_offline visible at once: %+v", hv.Warnings)
	}
	w.clock.Advance(3 * time.Minute)
	code, hv := readyz(t, w)
	if code != 200 || severityOf(hv, hub.WarnLockOffline) != "warning" {
		t.Fatalf("after 3m: %d %+v, want ready with a lock_offline warning", code, hv.Warnings)
	}
	if !strings.Contains(hv.Warnings[0].Text, "front-door (never connected)") {
		t.Errorf("text %q does not name the lock", hv.Warnings[0].Text)
	}
}
