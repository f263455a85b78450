package hub_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/lockhub/lockhub/internal/store"
)

const deployDir = "../configs/deploy"

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (`make deps` installs it): skipping", name)
	}
	var out bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// TestPrometheusConfig: the scrape config and the rules pass promtool.
func TestPrometheusConfig(t *testing.T) {
	runTool(t, "promtool", "check", "config", filepath.Join(deployDir, "prometheus.yml"))
	runTool(t, "promtool", "check", "rules", filepath.Join(deployDir, "lockhub.rules.yml"))
}

// TestSystemdUnit: the unit passes systemd-analyze verify without a
// warning about it (the binary path is swapped for one that exists) and
// keeps the settings the deployment relies on.
func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "lockhub.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{"User=lockhub", "StateDirectory=lockhub", "ExecReload=/bin/kill -HUP $MAINPID",
		"RuntimeDirectory=lockhub", "RuntimeDirectoryPreserve=yes", // the event log's stage survives a restart
		"NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=\n"} {
		if !strings.Contains(unit, want) {
			t.Errorf("lockhub.service lacks %q", want)
		}
	}
	tmp := filepath.Join(t.TempDir(), "lockhub.service")
	if err := os.WriteFile(tmp, []byte(strings.ReplaceAll(unit, "/usr/local/bin/lockhub", "/bin/true")), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := runTool(t, "systemd-analyze", "verify", tmp); strings.Contains(out, "lockhub.service") {
		t.Errorf("systemd-analyze verify complains:\n%s", out)
	}
}

var metricName = regexp.MustCompile(`\b(lockhub_[a-z0-9_]+|go_[a-z0-9_]+|process_[a-z0-9_]+)\b`)

// exportedNames gathers the metric family names of a live hub's registry,
// with the upload configured (to a port where nothing listens) and a
// domain synced, so that every family exists.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	w, _ := scrapeLive(t, "upstream:\n  url: http://127.0.0.1:9/\n  token_file: upstream.token\n")
	b := store.NewBatch()
	b.SetLastSync("hq", w.clock.Now())
	if err := w.Store().Apply(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	mfs, err := w.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	return names
}

// known reports whether a name in a query is exported (histogram series
// carry _bucket, _sum and _count suffixes).
func known(names map[string]bool, n string) bool {
	if names[n] {
		return true
	}
	for _, s := range []string{"_bucket", "_sum", "_count"} {
		if b, ok := strings.CutSuffix(n, s); ok && names[b] {
			return true
		}
	}
	return false
}

// TestDashboardAndRulesUseExportedMetrics: the Grafana dashboard is valid
// JSON and every query in it, and in the alerting rules, names only
// metrics a running hub exports.
func TestDashboardAndRulesUseExportedMetrics(t *testing.T) {
	names := exportedNames(t)
	var dash struct {
		Title  string
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	b, err := os.ReadFile(filepath.Join(deployDir, "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, p.Title+": "+tg.Expr)
		}
	}
	var rules struct {
		Groups []struct {
			Rules []struct{ Alert, Expr string }
		}
	}
	rb, err := os.ReadFile(filepath.Join(deployDir, "lockhub.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(rb, &rules); err != nil {
		t.Fatal(err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, "rule "+r.Alert+": "+r.Expr)
		}
	}
	checked := 0
	for _, e := range exprs {
		for _, n := range metricName.FindAllString(e, -1) {
			checked++
			if !known(names, n) {
				t.Errorf("%s: metric %s is not exported by the hub", e, n)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d metric names checked; is the dashboard empty?", checked)
	}
}
