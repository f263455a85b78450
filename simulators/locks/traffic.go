package locks

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
)

// Defaults of Traffic.
const (
	DefaultMaxInFlight = 10_000
	DefaultOfflineFor  = 2 * time.Second
	DefaultDrain       = 5 * time.Second
)

// Traffic is a scripted run over a fleet. It is bounded by Duration and
// Count (at least one must be set) and stops by itself.
type Traffic struct {
	// Rate is the number of taps per second over the whole fleet, spread
	// round-robin over the locks.
	Rate float64
	// Duration bounds the sending phase; Count bounds the number of taps
	// scheduled. The first reached ends the phase.
	Duration time.Duration
	Count    int
	// OpenLoop sends every tap at its scheduled time whatever the replies
	// (at most MaxInFlight outstanding, the rest wait their turn) and
	// measures latency from the scheduled time. Otherwise (closed loop) a
	// lock has at most one tap outstanding, a tap due at a busy lock is
	// skipped, and latency runs from the actual send.
	OpenLoop    bool
	MaxInFlight int
	// Credentials is the weighted picker's list (DefaultCredentials when
	// empty).
	Credentials []Credential
	// EventRate is the number of door events per second over the fleet:
	// doors open and close, now and then held open or forced, and a battery
	// runs low.
	EventRate float64
	// OfflineRate is the number of offline periods started per second over
	// the fleet, each OfflineFor long; every other one drops the connection
	// (the will fires), the rest disconnect cleanly.
	OfflineRate float64
	OfflineFor  time.Duration
	// Drain bounds the wait, after the sending phase, for outstanding taps
	// and door-event acks.
	Drain time.Duration
	// Seed makes the credential and event choices repeatable (0: random).
	Seed uint64
}

// TrafficReport is the outcome of a traffic run.
type TrafficReport struct {
	OpenLoop   bool
	TargetRate float64
	Scheduled  uint64 // taps due in the sending phase
	Sent       uint64 // taps attempted (not skipped)
	Skipped    uint64 // closed loop: the lock was still busy
	Offline    uint64 // the lock was offline: nothing sent
	// ErrorReplies are replies with result "error" (a malformed request, a
	// rate limit, a hub failure).
	ErrorReplies uint64
	// Latency covers every reply (local decisions included); its Errors are
	// failed sends and its Timeouts taps without a reply.
	Latency LatencySummary
	// Results counts replies by "result/reason" ("granted/allowed",
	// "denied/unknown_credential", "local/lockdown", ...).
	Results map[string]uint64
	// Credentials counts taps by credential label.
	Credentials    map[string]uint64
	Events         uint64 // door events generated
	EventsUnacked  int    // still unacknowledged when the run ended
	OfflinePeriods uint64
	Elapsed        time.Duration // the sending phase
}

// SendRate is the achieved rate of taps sent per second.
func (r TrafficReport) SendRate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Sent) / r.Elapsed.Seconds()
}

// Failures is every tap that did not get a well-formed answer: send
// errors, timeouts, error replies (offline and skipped taps excluded).
func (r TrafficReport) Failures() uint64 {
	return r.Latency.Errors + r.Latency.Timeouts + r.ErrorReplies
}

// trafficRun is the state of one Fleet.Run.
type trafficRun struct {
	f        *Fleet
	t        Traffic
	pick     *Picker
	rec      Recorder
	mu       sync.Mutex // guards rng, results, creds
	rng      *rand.Rand
	results  map[string]uint64
	creds    map[string]uint64
	busy     []atomic.Bool
	sem      chan struct{}
	wg       sync.WaitGroup
	sent     atomic.Uint64
	skipped  atomic.Uint64
	offline  atomic.Uint64
	errReply atomic.Uint64
	events   atomic.Uint64
	offs     atomic.Uint64
}

// Run drives the fleet with t: taps, door events and offline periods until
// Duration or Count is reached, then waits (up to Drain) for outstanding
// taps and event acks. The fleet must be connected.
func (f *Fleet) Run(ctx context.Context, t Traffic) (TrafficReport, error) {
	switch {
	case t.Rate <= 0 && t.EventRate <= 0 && t.OfflineRate <= 0:
		return TrafficReport{}, errors.New("traffic: no rate set")
	case t.Duration <= 0 && (t.Count <= 0 || t.Rate <= 0):
		return TrafficReport{}, errors.New("traffic: set a duration, or a count with a rate")
	case t.Rate < 0 || t.EventRate < 0 || t.OfflineRate < 0 || t.Count < 0:
		return TrafficReport{}, errors.New("traffic: negative rate or count")
	}
	if t.MaxInFlight <= 0 {
		t.MaxInFlight = DefaultMaxInFlight
	}
	if t.OfflineFor <= 0 {
		t.OfflineFor = DefaultOfflineFor
	}
	if t.Drain <= 0 {
		t.Drain = DefaultDrain
	}
	if t.Duration <= 0 {
		// The count ends the taps; the slack keeps a late scheduler from
		// cutting the last ones.
		t.Duration = time.Duration(float64(t.Count)/t.Rate*float64(time.Second)) + time.Second
	}
	p, err := NewPicker(t.Credentials)
	if err != nil {
		return TrafficReport{}, err
	}
	seed := t.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	r := &trafficRun{
		f: f, t: t, pick: p, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		results: map[string]uint64{}, creds: map[string]uint64{},
		busy: make([]atomic.Bool, len(f.locks)), sem: make(chan struct{}, t.MaxInFlight),
	}
	f.log.Info("lock traffic starting", "locks", len(f.locks), "rate", t.Rate, "duration_ms", t.Duration.Milliseconds(),
		"count", t.Count, "open_loop", t.OpenLoop, "event_rate", t.EventRate, "offline_rate", t.OfflineRate)

	runCtx, cancel := context.WithTimeout(ctx, t.Duration)
	defer cancel()
	// Taps and offline periods end with the drain at the latest.
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	start := time.Now()
	var loops sync.WaitGroup
	scheduled := new(atomic.Uint64)
	if t.Rate > 0 {
		loops.Go(func() {
			r.schedule(runCtx, start, t.Rate, t.Count, func(i uint64, at time.Time) { scheduled.Add(1); r.tap(workCtx, i, at) })
		})
	}
	if t.EventRate > 0 {
		loops.Go(func() { r.schedule(runCtx, start, t.EventRate, 0, r.doorEvent) })
	}
	if t.OfflineRate > 0 {
		loops.Go(func() {
			r.schedule(runCtx, start, t.OfflineRate, 0, func(i uint64, _ time.Time) { r.goOffline(workCtx, i) })
		})
	}
	loops.Wait()
	elapsed := time.Since(start)
	r.drain(ctx)
	stopWork()
	r.wg.Wait()

	rep := TrafficReport{
		OpenLoop: t.OpenLoop, TargetRate: t.Rate, Scheduled: scheduled.Load(), Sent: r.sent.Load(),
		Skipped: r.skipped.Load(), Offline: r.offline.Load(), ErrorReplies: r.errReply.Load(),
		Latency: r.rec.Summary(elapsed), Results: r.results, Credentials: r.creds,
		Events: r.events.Load(), EventsUnacked: f.Unacked(), OfflinePeriods: r.offs.Load(), Elapsed: elapsed,
	}
	f.log.Info("lock traffic done", "sent", rep.Sent, "replies", rep.Latency.Count, "timeouts", rep.Latency.Timeouts,
		"errors", rep.Latency.Errors, "error_replies", rep.ErrorReplies, "elapsed_ms", elapsed.Milliseconds())
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	return rep, nil
}

// schedule calls fn at start + i/rate for i = 0, 1, ... until ctx ends or
// count calls were made (0: no count). Calls that fall due while it sleeps
// late are made at once, with their scheduled time. The wait is precise to
// tens of microseconds (Sleeper), not to the Go timer's millisecond.
func (r *trafficRun) schedule(ctx context.Context, start time.Time, rate float64, count int, fn func(i uint64, at time.Time)) {
	interval := float64(time.Second) / rate
	sleeper := NewSleeper()
	defer sleeper.Close()
	var i uint64
	for count <= 0 || i < uint64(count) {
		at := start.Add(time.Duration(float64(i) * interval))
		if !sleeper.Until(ctx, at) {
			return
		}
		fn(i, at)
		i++
	}
}

// tap sends tap i, due at at, from lock i mod N.
func (r *trafficRun) tap(ctx context.Context, i uint64, at time.Time) {
	idx := int(i % uint64(len(r.f.locks)))
	l := r.f.locks[idx]
	r.mu.Lock()
	ci, value := r.pick.Pick(r.rng)
	r.creds[r.pick.Label(ci)]++
	r.mu.Unlock()
	typ := r.pick.Credential(ci).Type
	if !r.t.OpenLoop {
		if !r.busy[idx].CompareAndSwap(false, true) {
			r.skipped.Add(1)
			return
		}
		r.wg.Go(func() {
			defer r.busy[idx].Store(false)
			r.outcome(l.tapFrom(ctx, time.Now(), typ, value))
		})
		return
	}
	r.wg.Go(func() {
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-r.sem }()
		r.outcome(l.tapFrom(ctx, at, typ, value))
	})
}

func (r *trafficRun) outcome(resp Response, lat time.Duration, err error) {
	switch {
	case errors.Is(err, ErrOffline):
		r.offline.Add(1)
		return
	case errors.Is(err, ErrTimeout), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		r.sent.Add(1)
		r.rec.RecordTimeout()
		return
	case err != nil:
		r.sent.Add(1)
		r.rec.RecordError()
		return
	}
	r.sent.Add(1)
	r.rec.Record(lat)
	key := resp.Result.String() + "/" + resp.Reason
	if resp.Local {
		key = "local/" + resp.Reason
	}
	if resp.Result == wire.ResultError {
		r.errReply.Add(1)
	}
	r.mu.Lock()
	r.results[key]++
	r.mu.Unlock()
}

// doorEvent makes lock i mod N report the next event of its door: it opens
// and closes; one event in 20 is held_open, one in 50 forced, one in 100 a
// low battery.
func (r *trafficRun) doorEvent(i uint64, _ time.Time) {
	l := r.f.locks[int(i%uint64(len(r.f.locks)))]
	r.mu.Lock()
	x := r.rng.IntN(100)
	r.mu.Unlock()
	kind := wire.EventOpened
	switch {
	case x == 0:
		kind = wire.EventBatteryLow
	case x < 3:
		kind = wire.EventForced
	case x < 8:
		kind = wire.EventHeldOpen
	case l.State().Door == wire.DoorOpen:
		kind = wire.EventClosed
	}
	l.DoorEvent(kind)
	r.events.Add(1)
}

// goOffline takes a random online lock offline for OfflineFor.
func (r *trafficRun) goOffline(ctx context.Context, i uint64) {
	r.mu.Lock()
	idx := r.rng.IntN(len(r.f.locks))
	r.mu.Unlock()
	l := r.f.locks[idx]
	if !l.Online() {
		return
	}
	r.wg.Go(func() {
		if l.GoOffline(ctx, r.t.OfflineFor, i%2 == 1) == nil {
			r.offs.Add(1)
		}
	})
}

// drain waits for outstanding taps, then for door-event acks, up to Drain
// in all. Taps still outstanding then are cancelled (and count as timeouts).
func (r *trafficRun) drain(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, r.t.Drain)
	defer cancel()
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return
	}
	for r.f.Unacked() > 0 {
		if !sleepCtx(ctx, 10*time.Millisecond) {
			return
		}
	}
}
