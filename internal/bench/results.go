package bench

import (
	"time"

	"github.com/lockhub/lockhub/simulators/locks"
)

// Systems compared by the round-trip scenarios.
const (
	SysProcess   = "lockhub (process)"
	SysDisk      = "lockhub (disk)"
	SysMosquitto = "mosquitto + responder"
)

// Results is everything one harness run measured (docs/performance.md is
// rendered from it; `lockhub bench -json` writes it).
type Results struct {
	Machine Machine       `json:"machine"`
	Quick   bool          `json:"quick"`
	Plan    Plan          `json:"plan"`
	Started time.Time     `json:"started"`
	Elapsed time.Duration `json:"elapsed_ns"`

	// Generator of the round trips' and the throughput search's taps
	// (GenLean, GenPaho).
	Generator string `json:"generator"`

	Micro []GoBenchResult `json:"micro"`

	Seed    time.Duration   `json:"seed_ns"`
	HubOpen map[string]Stat `json:"hub_open_s"` // hub.New with the site's grants, per system

	RoundTrips []RoundTrip `json:"round_trips"`
	Steps      []StepUp    `json:"steps"`
	Profile    Profile     `json:"profile"`
	Connect    []Connect   `json:"connect"`

	// Failures lists scenarios that did not complete or saw errors.
	Failures []string `json:"failures"`
}

// Run is one traffic run's summary.
type Run struct {
	Target   float64 `json:"target_rate"`
	Achieved float64 `json:"achieved_rate"` // replies per second of the sending phase
	Replies  uint64  `json:"replies"`
	Failures uint64  `json:"failures"` // timeouts, send errors, error replies
	Granted  uint64  `json:"granted"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	P999     float64 `json:"p999_ms"`
	Max      float64 `json:"max_ms"`
	// CPU is the broker side's CPU seconds (hub, or mosquitto + responder)
	// per 1,000 replies.
	CPU float64 `json:"cpu_s_per_1k"`
	// GenCPU is the harness process's CPU seconds (the generator's, mostly)
	// per 1,000 replies: the measurement's own cost, on the same cores.
	GenCPU float64 `json:"gen_cpu_s_per_1k"`
	Load   Load    `json:"load"`
}

func runOf(rep locks.TrafficReport, cpu time.Duration, load Load) Run {
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	l := rep.Latency
	r := Run{Target: rep.TargetRate, Achieved: l.Rate, Replies: l.Count, Failures: rep.Failures(),
		Granted: rep.Results["granted/allowed"],
		P50:     ms(l.P50), P90: ms(l.P90), P99: ms(l.P99), P999: ms(l.P999), Max: ms(l.Max), Load: load}
	if l.Count > 0 {
		r.CPU = cpu.Seconds() / float64(l.Count) * 1000
	}
	return r
}

// RoundTrip is one system at one lock count.
type RoundTrip struct {
	System string  `json:"system"`
	Locks  int     `json:"locks"`
	Rate   float64 `json:"rate"`
	Runs   []Run   `json:"runs"`
}

// StepUp is one system's throughput search, repeated.
type StepUp struct {
	System string `json:"system"`
	Locks  int    `json:"locks"`
	// Best is the last good rate of each repetition; Steps every step run.
	Best  []float64 `json:"best"`
	Steps [][]Run   `json:"steps"`
	// AtBest is the run at the last good rate of each repetition.
	AtBest []Run `json:"at_best"`
}

// Profile holds the round trip's profiles (files beside the JSON) and
// their top entries.
type Profile struct {
	Run       Run    `json:"run"`
	CPUFile   string `json:"cpu_file"`
	AllocBase string `json:"alloc_base_file"`
	AllocFile string `json:"alloc_file"`
	CPUTop    string `json:"cpu_top"`
	AllocTop  string `json:"alloc_top"`
	// AllocsPerRequest is the allocation count of the profiled window per
	// reply (from the allocs profile's sampled counts).
	AllocsPerRequest float64 `json:"allocs_per_request"`
	BytesPerRequest  float64 `json:"bytes_per_request"`
}

// Connect is the connect scenario under one memory setting.
type Connect struct {
	Variant string `json:"variant"` // "default", "GOMEMLIMIT=..."
	Locks   int    `json:"locks"`
	Procs   int    `json:"procs"`
	// Seconds: from "go" to the slowest process's last CONNACK+SUBACK.
	Seconds []float64 `json:"seconds"`
	// Idle is the hub's memory with the site loaded and no lock connected;
	// Connected with every lock connected (one per repetition).
	Idle      MemReport   `json:"idle"`
	Connected []MemReport `json:"connected"`
	Failed    int         `json:"failed"`
	Load      []Load      `json:"load"`
	// HeapTop is `go tool pprof -top` of the in-use heap with every lock
	// connected (first run of the default variant; taken after a GC), and
	// AfterGC the memory read right after that GC.
	HeapTop string     `json:"heap_top,omitempty"`
	AfterGC *MemReport `json:"after_gc,omitempty"`
	// Settled is the memory after 20 s idle, three more collections and
	// the freed pages handed back to the OS: where an idle hub ends up
	// within minutes (Badger releases its table builders' buffers after
	// some seconds without compactions, the runtime forces a collection
	// every two minutes, each halves an oversized goroutine stack once,
	// and its scavenger returns free pages in the background).
	Settled *MemReport `json:"settled,omitempty"`
}
