package locks

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Defaults of FleetConfig.
const (
	DefaultConnectConcurrency = 64
	DefaultConnectAttempts    = 3
)

// FleetConfig describes N locks.
type FleetConfig struct {
	BrokerURL string
	TLS       *tls.Config
	// Count is the number of locks.
	Count int
	// Identity returns lock i's identity (0 ≤ i < Count): the CLI derives
	// secrets from the site master key, or reads them. Required.
	Identity func(i int) (Identity, error)
	// V5Percent is the share of locks speaking MQTT 5, 0..100; they are
	// spread evenly over the fleet (lock i is MQTT 5 when i%100 < V5Percent).
	V5Percent int
	// ConnectConcurrency bounds the CONNECTs in flight during Connect.
	ConnectConcurrency int
	// ConnectAttempts is how often Connect tries each lock (jittered backoff
	// in between) before it gives up.
	ConnectAttempts int
	// Lock is the template of every lock's timers and options; its Identity,
	// BrokerURL, TLS, Protocol, ClientID and Boot are set per lock.
	Lock LockConfig
}

// Fleet is a set of virtual locks.
type Fleet struct {
	cfg   FleetConfig
	log   *slog.Logger
	locks []*Lock
}

// NewFleet builds the fleet's locks (not connected).
func NewFleet(cfg FleetConfig, log *slog.Logger) (*Fleet, error) {
	switch {
	case cfg.Count <= 0:
		return nil, errors.New("fleet: count must be positive")
	case cfg.Identity == nil:
		return nil, errors.New("fleet: identity function required")
	case cfg.V5Percent < 0 || cfg.V5Percent > 100:
		return nil, errors.New("fleet: v5 percent must be 0..100")
	}
	if cfg.ConnectConcurrency <= 0 {
		cfg.ConnectConcurrency = DefaultConnectConcurrency
	}
	if cfg.ConnectAttempts <= 0 {
		cfg.ConnectAttempts = DefaultConnectAttempts
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Fleet{cfg: cfg, log: log, locks: make([]*Lock, cfg.Count)}
	seen := make(map[string]bool, cfg.Count)
	for i := range cfg.Count {
		id, err := cfg.Identity(i)
		if err != nil {
			return nil, fmt.Errorf("fleet: identity of lock %d: %w", i, err)
		}
		if seen[id.ID] {
			return nil, fmt.Errorf("fleet: lock id %q appears twice", id.ID)
		}
		seen[id.ID] = true
		lc := cfg.Lock
		lc.Identity, lc.BrokerURL, lc.TLS = id, cfg.BrokerURL, cfg.TLS
		lc.ClientID, lc.Boot = "", 0
		lc.Protocol = MQTT311
		if i%100 < cfg.V5Percent {
			lc.Protocol = MQTT5
		}
		l, err := NewLock(lc, log)
		if err != nil {
			return nil, fmt.Errorf("fleet: lock %d: %w", i, err)
		}
		f.locks[i] = l
	}
	return f, nil
}

// Locks returns the fleet's locks, in identity order.
func (f *Fleet) Locks() []*Lock { return f.locks }

// ConnectReport is the outcome of Fleet.Connect.
type ConnectReport struct {
	Locks     int
	Connected int
	Failed    int
	Attempts  int           // CONNECT attempts, retries included
	Elapsed   time.Duration // wall time to connect the whole fleet
	// Latency is the distribution of the successful attempts' durations
	// (dial, CONNECT, SUBSCRIBE).
	Latency LatencySummary
}

// Rate is the number of locks connected per second.
func (r ConnectReport) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Connected) / r.Elapsed.Seconds()
}

func (r ConnectReport) String() string {
	return fmt.Sprintf("connected %d/%d locks in %v (%.0f/s, %d attempts, %d failed); per lock p50=%v p99=%v max=%v",
		r.Connected, r.Locks, round(r.Elapsed), r.Rate(), r.Attempts, r.Failed,
		round(r.Latency.P50), round(r.Latency.P99), round(r.Latency.Max))
}

// Connect connects every lock, at most ConnectConcurrency at a time, each up
// to ConnectAttempts times. It returns an error naming how many locks could
// not connect (and the first error); the others stay connected.
func (f *Fleet) Connect(ctx context.Context) (ConnectReport, error) {
	var (
		rec      Recorder
		mu       sync.Mutex
		attempts int
		failed   int
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, f.cfg.ConnectConcurrency)
	start := time.Now()
	for _, l := range f.locks {
		if l.started.Load() {
			continue // connected before (and reconnecting by itself if offline)
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			n, err := f.connectOne(ctx, l, &rec)
			mu.Lock()
			defer mu.Unlock()
			attempts += n
			if err != nil {
				failed++
				if firstErr == nil {
					firstErr = err
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	connected := 0
	for _, l := range f.locks {
		if l.started.Load() {
			connected++
		}
	}
	rep := ConnectReport{Locks: len(f.locks), Connected: connected, Failed: len(f.locks) - connected,
		Attempts: attempts, Elapsed: elapsed, Latency: rec.Summary(elapsed)}
	f.log.Info("lock fleet connected", "locks", rep.Locks, "connected", rep.Connected,
		"elapsed_ms", elapsed.Milliseconds(), "attempts", attempts)
	switch {
	case ctx.Err() != nil:
		return rep, fmt.Errorf("fleet connect: %w", ctx.Err())
	case failed > 0:
		return rep, fmt.Errorf("fleet connect: %d of %d locks failed, first: %w", failed, len(f.locks), firstErr)
	}
	return rep, nil
}

func (f *Fleet) connectOne(ctx context.Context, l *Lock, rec *Recorder) (int, error) {
	backoff := l.cfg.ReconnectMin
	var err error
	for attempt := 1; attempt <= f.cfg.ConnectAttempts; attempt++ {
		t0 := time.Now()
		actx, cancel := context.WithTimeout(ctx, l.cfg.ConnectTimeout)
		err = l.Connect(actx)
		cancel()
		if err == nil {
			rec.Record(time.Since(t0))
			return attempt, nil
		}
		rec.RecordError()
		if attempt == f.cfg.ConnectAttempts || !sleepCtx(ctx, jitter(backoff)) {
			return attempt, err
		}
		backoff = min(2*backoff, l.cfg.ReconnectMax)
	}
	return f.cfg.ConnectAttempts, err
}

// Close disconnects every lock cleanly.
func (f *Fleet) Close() {
	var wg sync.WaitGroup
	sem := make(chan struct{}, f.cfg.ConnectConcurrency)
	for _, l := range f.locks {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			l.Close()
		})
	}
	wg.Wait()
}

// Stats sums the counters of every lock.
func (f *Fleet) Stats() LockStats {
	var s LockStats
	for _, l := range f.locks {
		s.add(l.Stats())
	}
	return s
}

// Unacked counts the door events waiting for an ack over the fleet.
func (f *Fleet) Unacked() int {
	n := 0
	for _, l := range f.locks {
		n += l.Unacked()
	}
	return n
}
