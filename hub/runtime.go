package hub

import "runtime/debug"

// DefaultGCPercent is the Go collector's target (GOGC) of a hub process
// when its environment sets none: the heap may grow to three times what is
// live between collections instead of Go's two. A hub's live heap is
// mostly the decision view (about 125 MiB with 500k grants), which every
// cycle marks while requests keep coming; at 15,000 requests/s Go's default
// ran a cycle every few seconds and the throughput search failed its p99
// bound on them (12,500/s against 20,000/s at 200, docs/performance.md).
// The price is memory between cycles under load; the heap after a cycle
// and the RSS of an idle hub are the same. An operator sets GOGC (or
// GOMEMLIMIT, which caps the growth) in the service's environment to
// choose otherwise.
const DefaultGCPercent = 200

// TuneRuntime sets the collector's target for a hub process: the GOGC of
// the environment (which the runtime has already applied) when getenv
// returns one, else DefaultGCPercent. It returns the percent in effect and
// whether it came from the environment. It changes process-wide state:
// call it once, from the process's entry point (lockhub run, demo, the
// benchmark's hub).
func TuneRuntime(getenv func(string) string) (percent int, fromEnv bool) {
	if getenv("GOGC") != "" {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p, true
	}
	debug.SetGCPercent(DefaultGCPercent)
	return DefaultGCPercent, false
}
