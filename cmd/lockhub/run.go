package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/lockhub/lockhub/hub"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// defaultConfigPath is where run looks for the site config.
const defaultConfigPath = "/etc/lockhub/hub.yaml"

func runCommand() command {
	return command{
		name:    "run",
		summary: "run the hub: broker, decisions, Nexudus sync, event upload, status page",
		help: `Runs the hub with the site configuration until SIGINT or SIGTERM, then shuts
down in stages (broker first, store last). SIGHUP reloads the configuration: a
valid file replaces every record of origin config as one batch (records from
Nexudus or admin actions are untouched); an invalid one is refused, logged, and
the running configuration kept.`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			config := fs.String("config", defaultConfigPath, "site configuration `file`")
			level := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
			format := fs.String("log-format", "text", "log `format`: text or json")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 0 {
					return usagef("unexpected arguments %q", args)
				}
				log, err := newLogger(e, *level, *format)
				if err != nil {
					return usagef("%v", err)
				}
				return runHub(ctx, log, *config, nil)
			}
		},
	}
}

// tuneRuntime applies the hub's collector target (hub.TuneRuntime) and
// logs it.
func tuneRuntime(log *slog.Logger) {
	p, fromEnv := hub.TuneRuntime(os.Getenv)
	log.Info("go collector target", "gc_percent", p, "from_env_GOGC", fromEnv)
}

// runHub loads the config, opens the hub and runs it until ctx ends,
// reloading the config on SIGHUP. ready, when set, is called once the hub is
// open (demo uses it to print what to try).
func runHub(ctx context.Context, log *slog.Logger, path string, ready func(*hub.Hub)) error {
	cfg, err := hub.LoadConfigFile(path)
	if err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	tuneRuntime(log)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h, err := hub.New(cfg, hub.Deps{Logger: log, Registerer: reg})
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w\n(another process, perhaps another lockhub, holds that port: stop it or change the listener address in %s)", err, path)
		}
		return err
	}
	defer h.Close()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				next, err := hub.LoadConfigFile(path)
				if err == nil {
					err = h.Reload(ctx, next)
				}
				if err != nil {
					log.Error("config reload refused; the running configuration is kept", "path", path, "error", err)
				}
			}
		}
	}()
	if ready != nil {
		ready(h)
	}
	log.Info("hub running", "site", h.Config().Site.ID, "mqtt", h.Broker().Addrs().TCP)
	err = h.Run(ctx)
	log.Info("hub stopped")
	return err
}

func newLogger(e *env, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("bad -log-level %q", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	return nil, fmt.Errorf("bad -log-format %q (text or json)", format)
}
