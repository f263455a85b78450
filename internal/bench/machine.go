package bench

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Machine describes where the figures were measured.
type Machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	GoVersion string `json:"go_version"`
	Mosquitto string `json:"mosquitto"`
	Kernel    string `json:"kernel"`
	Date      string `json:"date"`
	OpenFiles uint64 `json:"open_files_limit"`
	// Fsync is measured in the hubs' work directory when the harness
	// prepares it; nil when only go test benchmarks ran.
	Fsync *FsyncProbe `json:"fsync,omitempty"`
}

func describeMachine() Machine {
	m := Machine{CPU: cpuModel(), Cores: runtime.NumCPU(), GoVersion: runtime.Version(), Date: time.Now().UTC().Format("2006-01-02 15:04 MST")}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("mosquitto", "-h").CombinedOutput(); len(out) > 0 {
		_ = err // mosquitto -h exits non-zero
		line, _, _ := strings.Cut(string(out), "\n")
		m.Mosquitto = strings.TrimSpace(line)
	}
	m.OpenFiles = openFileLimit()
	return m
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// Load is /proc/loadavg's 1-minute average before and after a scenario.
type Load struct {
	Before float64 `json:"before"`
	After  float64 `json:"after"`
}

func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, err := strconv.ParseFloat(f, 64)
	if err != nil {
		return -1
	}
	return v
}

// procStatus reads VmRSS and VmHWM (bytes) of a process.
func procStatus(pid int) (rss, hwm uint64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			rss = n << 10
		case "VmHWM":
			hwm = n << 10
		}
	}
	return rss, hwm
}

// procCPU is the user+system CPU time of a process so far.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
}

// FsyncProbe is the latency of one small durable append on the disk the
// hubs' data directories live on: what each `disk`-durability commit
// waits for, measured apart from any broker.
type FsyncProbe struct {
	Samples int     `json:"samples"`
	P50     float64 `json:"p50_ms"`
	P99     float64 `json:"p99_ms"`
	P999    float64 `json:"p999_ms"`
	Max     float64 `json:"max_ms"`
}

// probeFsync appends 256 bytes to a file in dir and fdatasyncs it, n times,
// and reports the latency of each append+sync.
func probeFsync(dir string, n int) (FsyncProbe, error) {
	f, err := os.CreateTemp(dir, "fsync-probe-*")
	if err != nil {
		return FsyncProbe{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 256)
	lat := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if _, err := f.Write(buf); err != nil {
			return FsyncProbe{}, err
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return FsyncProbe{}, err
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	ms := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / 1e6
	}
	return FsyncProbe{Samples: n, P50: ms(0.50), P99: ms(0.99), P999: ms(0.999), Max: ms(1)}, nil
}
