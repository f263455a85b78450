package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"time"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/internal/keys"
	"github.com/lockhub/lockhub/simulators/locks"
	"github.com/lockhub/lockhub/simulators/responder"
)

// Child roles: the processes the harness starts from its own binary.
const (
	RoleHub       = "hub"
	RoleResponder = "responder"
	RoleLocks     = "locks"
)

// HubSpec is the hub child's input.
type HubSpec struct {
	DataDir    string `json:"data_dir"`
	Locks      int    `json:"locks"`
	Durability string `json:"durability"`
}

// ResponderSpec is the responder child's input.
type ResponderSpec struct {
	BrokerURL string `json:"broker_url"`
	Cards     int    `json:"cards"`
	QoS       byte   `json:"qos"`
}

// LocksSpec is the input of a lock-client child (the connect scenario):
// locks From..From+Count-1 of the benchmark site.
type LocksSpec struct {
	BrokerURL   string `json:"broker_url"`
	MasterKey   string `json:"master_key"`
	From        int    `json:"from"`
	Count       int    `json:"count"`
	Concurrency int    `json:"concurrency"`
}

// MemReport is the hub child's answer to "mem".
type MemReport struct {
	RSS        uint64 `json:"rss"`
	HWM        uint64 `json:"hwm"`
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"`
	Sys        uint64 `json:"sys"`
	Goroutines int    `json:"goroutines"`
}

// Child runs one child role with its JSON spec, reading commands from in
// and answering on out, until in closes or ctx ends.
func Child(ctx context.Context, role string, spec []byte, in io.Reader, out io.Writer, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch role {
	case RoleHub:
		var s HubSpec
		if err := json.Unmarshal(spec, &s); err != nil {
			return fmt.Errorf("hub spec: %w", err)
		}
		return serveHub(ctx, s, in, out, log)
	case RoleResponder:
		var s ResponderSpec
		if err := json.Unmarshal(spec, &s); err != nil {
			return fmt.Errorf("responder spec: %w", err)
		}
		return serveResponder(ctx, s, in, out, log)
	case RoleLocks:
		var s LocksSpec
		if err := json.Unmarshal(spec, &s); err != nil {
			return fmt.Errorf("locks spec: %w", err)
		}
		return serveLocks(ctx, s, in, out, log)
	}
	return fmt.Errorf("unknown child role %q", role)
}

// serveHub opens the benchmark site's hub (reporting how long New took),
// runs it, and answers: "mem", "settle <idle>", "cpu <file>", "cpu-stop",
// "allocs <file>", "trace <file>", "trace-stop".
func serveHub(ctx context.Context, s HubSpec, in io.Reader, out io.Writer, log *slog.Logger) error {
	raiseFileLimit(uint64(s.Locks + 4096))
	hub.TuneRuntime(os.Getenv) // as lockhub run does
	start := time.Now()
	h, err := hub.New(siteConfig(s.DataDir, s.Locks, s.Durability), hub.Deps{Logger: log})
	if err != nil {
		return err
	}
	open := time.Since(start)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.Run(runCtx) }()
	answer(out, "ready %s %d", h.Broker().Addrs().TCP, open.Nanoseconds())
	var cpu, traceFile *os.File
	lineCommands(ctx, in, out, func(cmd, arg string) string {
		switch cmd {
		case "mem":
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			rss, hwm := procStatus(os.Getpid())
			b, _ := json.Marshal(MemReport{RSS: rss, HWM: hwm, HeapInuse: ms.HeapInuse, StackInuse: ms.StackInuse, Sys: ms.Sys, Goroutines: runtime.NumGoroutine()})
			return "ok " + string(b)
		case "settle":
			// What an idle hub reaches within minutes: after arg (a
			// duration) idle, in which Badger's allocator pools hand back
			// their table builders' buffers, collections halve an
			// oversized stack once each, and the scavenger returns free
			// pages.
			idle, err := time.ParseDuration(arg)
			if err != nil {
				return "err " + err.Error()
			}
			time.Sleep(idle)
			for range 3 {
				runtime.GC()
			}
			debug.FreeOSMemory()
			return "ok"
		case "cpu":
			return startRecording(&cpu, arg, pprof.StartCPUProfile)
		case "cpu-stop":
			return stopRecording(&cpu, pprof.StopCPUProfile, "cpu profile")
		case "trace":
			return startRecording(&traceFile, arg, trace.Start)
		case "trace-stop":
			return stopRecording(&traceFile, trace.Stop, "trace")
		case "allocs":
			// The heap profile is as of the last completed GC: without
			// one, a quiet run's allocations would not show at all.
			runtime.GC()
			f, err := os.Create(arg)
			if err == nil {
				err = errors.Join(pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
			}
			if err != nil {
				return "err " + err.Error()
			}
			return "ok"
		}
		return "err unknown command"
	})
	cancel()
	err = <-done
	return errors.Join(err, h.Close())
}

// startRecording creates file and starts a recording into it (a CPU
// profile, a trace); *f holds the file until stopRecording.
func startRecording(f **os.File, file string, start func(io.Writer) error) string {
	if *f != nil {
		return "err already recording into " + (*f).Name()
	}
	out, err := os.Create(file)
	if err == nil {
		if err = start(out); err != nil {
			out.Close()
		}
	}
	if err != nil {
		return "err " + err.Error()
	}
	*f = out
	return "ok"
}

// stopRecording stops what startRecording started and closes its file.
func stopRecording(f **os.File, stop func(), what string) string {
	if *f == nil {
		return "err no " + what + " running"
	}
	stop()
	err := (*f).Close()
	*f = nil
	if err != nil {
		return "err " + err.Error()
	}
	return "ok"
}

func serveResponder(ctx context.Context, s ResponderSpec, in io.Reader, out io.Writer, log *slog.Logger) error {
	// The other Go process of the comparison gets the hub's collector
	// target too: the comparison is of the designs, not of GC settings.
	hub.TuneRuntime(os.Getenv)
	r, err := responder.New(responder.Config{BrokerURL: s.BrokerURL, Cards: s.Cards, QoS: s.QoS}, log)
	if err != nil {
		return err
	}
	if err := r.Start(ctx); err != nil {
		return err
	}
	answer(out, "ready")
	lineCommands(ctx, in, out, func(string, string) string { return "err unknown command" })
	r.Stop()
	b, _ := json.Marshal(r.Stats())
	answer(out, "stats %s", b)
	return nil
}

// serveLocks builds its share of the fleet, answers "built", connects on
// "go" and answers "connected <ConnectReport JSON>", then holds the
// connections until in closes.
func serveLocks(ctx context.Context, s LocksSpec, in io.Reader, out io.Writer, log *slog.Logger) error {
	raiseFileLimit(uint64(s.Count + 1024))
	m, err := keys.Load(s.MasterKey)
	if err != nil {
		return err
	}
	f, err := newFleet(s.BrokerURL, m, s.From, s.Count, s.Concurrency, log)
	if err != nil {
		return err
	}
	defer f.Close()
	answer(out, "built")
	lineCommands(ctx, in, out, func(cmd, _ string) string {
		if cmd != "go" {
			return "err unknown command"
		}
		rep, err := f.Connect(ctx)
		if err != nil {
			return "err " + err.Error()
		}
		b, _ := json.Marshal(rep)
		return "connected " + string(b)
	})
	return nil
}

// identity is lock i of the benchmark site, with its derived secret and
// command key.
func identity(m *keys.Master, i int) locks.Identity {
	id := LockID(i)
	return locks.Identity{ID: id, Secret: m.LockSecret(id, 1), CommandKey: m.LockCommandKey(id, 1)}
}

// identities is locks from..from+n-1 of the benchmark site.
func identities(m *keys.Master, from, n int) []locks.Identity {
	ids := make([]locks.Identity, n)
	for i := range ids {
		ids[i] = identity(m, from+i)
	}
	return ids
}

// newFleet builds locks from..from+n-1 of the benchmark site with their
// secrets derived from the site master key.
func newFleet(brokerURL string, m *keys.Master, from, n, concurrency int, log *slog.Logger) (*locks.Fleet, error) {
	return locks.NewFleet(locks.FleetConfig{
		BrokerURL: brokerURL, Count: n, ConnectConcurrency: concurrency,
		Identity: func(i int) (locks.Identity, error) { return identity(m, from+i), nil },
		Lock:     locks.LockConfig{RequestTimeout: 5 * time.Second},
	}, log)
}
