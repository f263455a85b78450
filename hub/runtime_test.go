package hub

import (
	"runtime/debug"
	"testing"
)

func TestTuneRuntime(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })

	p, fromEnv := TuneRuntime(func(string) string { return "" })
	if p != DefaultGCPercent || fromEnv {
		t.Fatalf("without GOGC: %d, fromEnv %v; want %d from the default", p, fromEnv, DefaultGCPercent)
	}
	if got := debug.SetGCPercent(100); got != DefaultGCPercent {
		t.Fatalf("runtime GC percent %d after TuneRuntime, want %d", got, DefaultGCPercent)
	}
	// With GOGC in the environment the runtime's value (set from it at
	// start) is left alone and reported.
	debug.SetGCPercent(50)
	p, fromEnv = TuneRuntime(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	})
	if p != 50 || !fromEnv {
		t.Fatalf("with GOGC=50: %d, fromEnv %v", p, fromEnv)
	}
	if got := debug.SetGCPercent(100); got != 50 {
		t.Fatalf("runtime GC percent %d, want 50 kept", got)
	}
}
