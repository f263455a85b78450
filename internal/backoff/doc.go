// Package backoff is lockhub's one retry delay: jittered, capped, growing
// with consecutive failures, and honouring a server's Retry-After.
//
// # Usage
//
//	b := backoff.New(backoff.Config{}) // 2 s base, exponential, 60 s cap
//	for {
//		resp, err := try(ctx)
//		if err == nil {
//			b.Reset()
//			break
//		}
//		if err := b.Wait(ctx, retryAfter(resp)); err != nil {
//			return err // ctx ended while waiting
//		}
//	}
//
// Each Wait grows the delay (n² or 2ⁿ times the base), multiplies it by a
// random factor in [0.5, 1.5) so that clients do not retry in step, and caps
// it at Config.Max. A positive retryAfter (what the server asked for, e.g.
// from [ParseRetryAfter]) replaces the computed delay and is capped at
// Config.RetryAfterMax; nexudus.md Q14 fixes 2 s as the default and 60 s as
// the cap. Sleeping goes through Config.Sleep, so tests can run in fake time;
// the default sleeps on a timer and returns early when ctx ends, which also
// works inside a testing/synctest bubble.
//
// # Concurrency
//
// A Backoff may be used from several goroutines, but it counts their failures
// together; usually each retry loop owns its own Backoff.
//
// The package imports nothing of lockhub's.
package backoff
