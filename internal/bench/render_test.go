package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestUpdateDocKeepsProse(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name    string
		doc     string
		want    string
		wantErr bool
	}{
		{"replaces between markers", "intro\n" + BeginMarker + "\nold table\n" + EndMarker + "\noutro\n",
			"intro\n" + BeginMarker + "\nnew table\n" + EndMarker + "\noutro\n", false},
		{"no markers", "intro only\n", "", true},
		{"markers reversed", EndMarker + "\n" + BeginMarker + "\n", "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".md")
			if err := os.WriteFile(p, []byte(c.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			err := UpdateDoc(p, "new table\n")
			if (err != nil) != c.wantErr {
				t.Fatalf("UpdateDoc error = %v, want error %v", err, c.wantErr)
			}
			b, _ := os.ReadFile(p)
			if !c.wantErr && string(b) != c.want {
				t.Fatalf("doc =\n%s\nwant\n%s", b, c.want)
			}
			if c.wantErr && string(b) != c.doc {
				t.Fatal("a failed update changed the file")
			}
		})
	}
}

func TestRenderTables(t *testing.T) {
	run := func(p50, p99 float64) Run {
		return Run{Target: 500, Achieved: 500, Replies: 5000, P50: p50, P99: p99, P999: p99 * 2}
	}
	r := &Results{
		Machine: Machine{CPU: "Test CPU", Cores: 2, GoVersion: "go1.26", Fsync: &FsyncProbe{Samples: 100, P50: 0.2, P99: 1.5, P999: 9, Max: 12}},
		Plan:    Plan{Members: 10, GrantsPer: 5, LockCounts: []int{100}, Rate: 500, Duration: time.Second, StepRates: []float64{1000}},
		RoundTrips: []RoundTrip{
			{System: SysProcess, Locks: 100, Rate: 500, Runs: []Run{run(0.2, 1), run(0.3, 2), run(0.4, 3)}},
			{System: SysMosquitto, Locks: 100, Rate: 500, Runs: []Run{run(0.4, 4), run(0.6, 4), run(0.8, 4)}},
		},
		Steps:    []StepUp{{System: SysProcess, Best: []float64{6000, 5000}}, {System: SysMosquitto, Best: []float64{3000, 3000}}},
		Failures: []string{"something broke"},
	}
	md := Render(r)
	for _, want := range []string{
		"Test CPU, 2 cores",
		"| lockhub (process) | 100 | 0.3 (0.2–0.4) | 2 (1–3) |",
		"| 100 | 0.50 | 0.50 | – | – |", // p50 0.3/0.6, p99 2/4
		"| lockhub (process) | 5500 (5000–6000) |",
		"| 1.83 |", // 5500/3000
		"something broke",
		"(100 appends of 256 bytes, each followed by fdatasync): p50 0.200 ms, p99 1.500 ms, p99.9 9.000 ms, max 12.000 ms",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("rendered markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestParseQuantity(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
	}{{"1.5MB", 1.5 * (1 << 20)}, {"512kB", 512 << 10}, {"12345", 12345}, {"3GB", 3 << 30}, {"junk", 0}} {
		if got := parseQuantity(c.in); got != c.want {
			t.Errorf("parseQuantity(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestProbeFsync(t *testing.T) {
	p, err := probeFsync(t.TempDir(), 50)
	if err != nil {
		t.Fatal(err)
	}
	if p.Samples != 50 || p.P50 <= 0 || p.P50 > p.P99 || p.P99 > p.P999 || p.P999 > p.Max {
		t.Errorf("probe = %+v: want 50 samples, 0 < p50 <= p99 <= p99.9 <= max", p)
	}
	if _, err := probeFsync(filepath.Join(t.TempDir(), "missing"), 1); err == nil {
		t.Error("probe in a missing directory: no error")
	}
}
