//go:build !race

package packets

const raceEnabled = false
