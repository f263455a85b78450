package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// GoBench is one `go test -bench` invocation.
type GoBench struct {
	Pkg       string // ./internal/store
	Bench     string // -bench regexp
	Count     int
	BenchTime string // -benchtime ("" = default)
	Short     bool   // -short
	// Timeout is go test's -timeout (0 = 20m).
	Timeout time.Duration
}

// GoBenchResult holds the metrics of each benchmark (name without the
// -GOMAXPROCS suffix), unit → one value per run.
type GoBenchResult struct {
	Pkg     string                          `json:"pkg"`
	Bench   string                          `json:"bench"`
	Metrics map[string]map[string][]float64 `json:"metrics"`
	Elapsed time.Duration                   `json:"elapsed_ns"`
	Load    Load                            `json:"load"`
}

// Stat returns the stat of a benchmark's metric (invalid when absent).
func (r GoBenchResult) Stat(name, unit string) Stat {
	if m, ok := r.Metrics[name]; ok {
		if v, ok := m[unit]; ok {
			return NewStat(v)
		}
	}
	return Stat{}
}

// runGoBench runs one go test benchmark invocation from the module root
// dir and parses its output; log receives the raw output.
func runGoBench(ctx context.Context, dir string, gb GoBench, log io.Writer) (GoBenchResult, error) {
	args := []string{"test", "-run", "^$", "-bench", gb.Bench, "-benchmem", "-count", strconv.Itoa(max(gb.Count, 1)), "-timeout", cmp.Or(gb.Timeout, 20*time.Minute).String()}
	if gb.BenchTime != "" {
		args = append(args, "-benchtime", gb.BenchTime)
	}
	if gb.Short {
		args = append(args, "-short")
	}
	args = append(args, gb.Pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, log)
	cmd.Stderr = log
	res := GoBenchResult{Pkg: gb.Pkg, Bench: gb.Bench, Load: Load{Before: loadAvg()}}
	start := time.Now()
	err := cmd.Run()
	res.Elapsed = time.Since(start)
	res.Load.After = loadAvg()
	res.Metrics = parseGoBench(&out)
	if err != nil {
		return res, fmt.Errorf("go test -bench %s %s: %w", gb.Bench, gb.Pkg, err)
	}
	if len(res.Metrics) == 0 {
		return res, fmt.Errorf("go test -bench %s %s: no benchmark ran", gb.Bench, gb.Pkg)
	}
	return res, nil
}

// parseGoBench reads benchmark result lines:
// "BenchmarkX/sub-2   1000   123 ns/op   4 B/op   0 allocs/op   5.0 unit".
func parseGoBench(r io.Reader) map[string]map[string][]float64 {
	res := map[string]map[string][]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.ParseUint(f[1], 10, 64); err != nil {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		m := res[name]
		if m == nil {
			m = map[string][]float64{}
			res[name] = m
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			m[f[i+1]] = append(m[f[i+1]], v)
		}
	}
	return res
}
