package locks

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"
)

// Config is the input of Run (`lockhub sim locks`), with flag-friendly
// fields. Zero fields take the defaults noted.
type Config struct {
	// BrokerURL is the hub's MQTT listener, e.g. tcp://127.0.0.1:1883 or
	// tls://hub.local:8883. Required.
	BrokerURL string
	TLS       *tls.Config // for tls:// URLs; nil = system roots
	// Locks is the number of virtual locks. Required.
	Locks int
	// Identity returns lock i's id, secret and command key. Required: the
	// CLI derives them from the site master key or reads them from a file.
	Identity func(i int) (Identity, error)
	// V5Percent is the share of MQTT 5 locks, 0..100.
	V5Percent int
	// ConnectConcurrency bounds the CONNECTs in flight (0 = 64).
	ConnectConcurrency int

	// Rate is the number of taps per second over the fleet.
	Rate float64
	// Duration bounds the run; Taps bounds the number of taps. At least one
	// is needed.
	Duration time.Duration
	Taps     int
	// OpenLoop sends taps on schedule whatever the replies and measures
	// latency from the scheduled time (for benchmarks).
	OpenLoop bool
	// Credentials is a ParseCredentials list, e.g.
	// "card:04A1B2C3*5,pin:1234,pin:?,card:?". Empty: DefaultCredentials.
	Credentials string
	// EventRate is the number of door events per second over the fleet.
	EventRate float64
	// OfflineRate is the number of offline periods per second over the
	// fleet, each OfflineFor long (0 = 2 s).
	OfflineRate float64
	OfflineFor  time.Duration

	// RequestTimeout is a tap's wait for its reply (0 = 2 s); RequestRetry
	// resends an unanswered request once.
	RequestTimeout time.Duration
	RequestRetry   bool
	// Heartbeat is the state re-publication period (0 = 5 min).
	Heartbeat time.Duration
	// Seed makes the run's choices repeatable (0 = random).
	Seed uint64

	// Output receives the printed summary; nil prints nothing.
	Output io.Writer
}

// Report is the outcome of Run.
type Report struct {
	Connect ConnectReport
	Traffic TrafficReport
	// Locks sums the locks' own counters (duplicate and late replies,
	// resends, reconnects, ...).
	Locks LockStats
}

// Run connects a fleet to the hub, drives the configured traffic, prints a
// summary to cfg.Output, disconnects and returns the report. It returns an
// error when the configuration is invalid, a lock cannot connect, or ctx
// ends early (the report then holds what was measured).
func Run(ctx context.Context, cfg Config, log *slog.Logger) (Report, error) {
	var rep Report
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "locksim")
	var creds []Credential
	if cfg.Credentials != "" {
		var err error
		if creds, err = ParseCredentials(cfg.Credentials); err != nil {
			return rep, err
		}
	}
	switch {
	case cfg.BrokerURL == "":
		return rep, errors.New("sim locks: broker url required")
	case cfg.Duration <= 0 && cfg.Taps <= 0:
		return rep, errors.New("sim locks: set a duration or a number of taps")
	}
	f, err := NewFleet(FleetConfig{
		BrokerURL: cfg.BrokerURL, TLS: cfg.TLS, Count: cfg.Locks, Identity: cfg.Identity,
		V5Percent: cfg.V5Percent, ConnectConcurrency: cfg.ConnectConcurrency,
		Lock: LockConfig{RequestTimeout: cfg.RequestTimeout, RequestRetry: cfg.RequestRetry, Heartbeat: cfg.Heartbeat},
	}, log)
	if err != nil {
		return rep, fmt.Errorf("sim locks: %w", err)
	}
	defer f.Close()
	rep.Connect, err = f.Connect(ctx)
	if cfg.Output != nil {
		fmt.Fprintln(cfg.Output, rep.Connect)
	}
	if err != nil {
		rep.Locks = f.Stats()
		return rep, fmt.Errorf("sim locks: %w", err)
	}
	rep.Traffic, err = f.Run(ctx, Traffic{
		Rate: cfg.Rate, Duration: cfg.Duration, Count: cfg.Taps, OpenLoop: cfg.OpenLoop,
		Credentials: creds, EventRate: cfg.EventRate, OfflineRate: cfg.OfflineRate,
		OfflineFor: cfg.OfflineFor, Seed: cfg.Seed,
	})
	rep.Locks = f.Stats()
	if cfg.Output != nil {
		rep.Print(cfg.Output)
	}
	if err != nil {
		return rep, fmt.Errorf("sim locks: %w", err)
	}
	return rep, nil
}

// Print writes the traffic part of the report, human-readable.
func (r Report) Print(w io.Writer) {
	t := r.Traffic
	mode := "closed loop"
	if t.OpenLoop {
		mode = "open loop"
	}
	fmt.Fprintf(w, "traffic (%s): target %.1f taps/s, scheduled %d, sent %d (%.1f/s), skipped %d, offline %d, in %v\n",
		mode, t.TargetRate, t.Scheduled, t.Sent, t.SendRate(), t.Skipped, t.Offline, round(t.Elapsed))
	fmt.Fprintf(w, "latency: %v\n", t.Latency)
	fmt.Fprintf(w, "failures: %d (errors %d, timeouts %d, error replies %d)\n",
		t.Failures(), t.Latency.Errors, t.Latency.Timeouts, t.ErrorReplies)
	printCounts(w, "results", t.Results)
	printCounts(w, "credentials", t.Credentials)
	fmt.Fprintf(w, "door events: %d generated, %d acked, %d resends, %d unacked at the end, %d dropped\n",
		t.Events, r.Locks.EventsAcked, r.Locks.EventResends, t.EventsUnacked, r.Locks.EventsDropped)
	fmt.Fprintf(w, "replies ignored: %d duplicate, %d late, %d unmatched, %d undecodable\n",
		r.Locks.DuplicateReplies, r.Locks.LateReplies, r.Locks.UnmatchedReplies, r.Locks.BadReplies)
	fmt.Fprintf(w, "connections: %d offline periods, %d lost, %d reconnects, %d failed attempts\n",
		t.OfflinePeriods, r.Locks.ConnectionsLost, r.Locks.Reconnects, r.Locks.ConnectFailures)
}

func printCounts(w io.Writer, what string, m map[string]uint64) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Fprintf(w, "%s:", what)
	for _, k := range keys {
		fmt.Fprintf(w, " %s=%d", k, m[k])
	}
	fmt.Fprintln(w)
}
