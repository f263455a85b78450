//go:build race

package packets

// raceEnabled: sync.Pool drops items at random under the race detector, so
// allocation counts of pooled paths are not meaningful (make test-allocs
// checks them without it).
const raceEnabled = true
