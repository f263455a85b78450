//go:build !linux

package locks

import "time"

// fineSleep is time.Sleep where nanosleep(2) is not wired up.
func fineSleep(d time.Duration) { time.Sleep(d) }
