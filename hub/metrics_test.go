package hub_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/lockhub/lockhub/devices/wire"
)

// scrapeLive runs a hub with a connected lock, one decision and a reported
// state, and returns its /metrics in the text format.
// extra is appended to the site config.
func scrapeLive(t *testing.T, extra string) (*webHub, string) {
	t.Helper()
	w := startWeb(t, webYAML(t.TempDir(), extra))
	lc := connectLock(t, w.Hub, "front-door")
	lc.publishState(t, wire.LockState{Online: true, Boot: 1, Battery: 64, HasBattery: true, Door: wire.DoorOpen})
	lc.request(t, wire.TypeCard, aliceCard)
	var body string
	waitFor(t, "the lock's battery in /metrics", func() bool {
		_, body, _ = w.get(t, "/metrics", "Accept", "text/plain")
		return strings.Contains(body, `lockhub_lock_battery_ratio{lock="front-door"} 0.64`)
	})
	return w, body
}

// TestMetricsScrape: /metrics of a running hub carries the hub-level
// families with bounded labels, passes the promlint rules, and passes
// `promtool check metrics` (the Debian prometheus package; make deps
// installs it).
func TestMetricsScrape(t *testing.T) {
	_, body := scrapeLive(t, "")
	for _, want := range []string{
		`lockhub_lock_online{lock="front-door"} 1`,
		`lockhub_lock_online{lock="back-door"} 0`,
		`lockhub_lock_door_open{lock="front-door"} 1`,
		`lockhub_events_outbox_pending_events `,
		`lockhub_events_outbox_oldest_age_seconds `,
		`lockhub_store_records{kind="members"} 2`,
		`lockhub_health_warning{code="clock_untrusted",severity="critical"} 0`,
		`lockhub_clock_trusted 1`,
		`lockhub_ready 1`,
		`lockhub_decisions_total{reason="allowed",result="granted"} 1`,
		`lockhub_mqtt_connections{kind="lock"} 1`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "lock_battery_ratio{lock=\"back-door\"}") {
		t.Error("battery of a lock that never reported is exported")
	}
	for _, bad := range []string{"alice", "bob", "member="} {
		if strings.Contains(body, bad) {
			t.Errorf("/metrics contains %q: no member ids in labels", bad)
		}
	}
	problems, err := promlint.New(strings.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus; `make deps` installs it): skipping promtool check metrics")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}
