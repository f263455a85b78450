package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/simulators/locks"
	simnex "github.com/lockhub/lockhub/simulators/nexudus"
	"github.com/lockhub/lockhub/simulators/upstream"
)

func simCommand() command {
	return command{
		name:    "sim",
		args:    "locks|nexudus|upstream",
		summary: "run simulated locks, a simulated Nexudus or a simulated upstream",
		help: `Runs one simulator until Ctrl-C (or, for locks, -duration):
  locks     virtual locks speaking lock protocol v1 to a hub (MQTT 3.1.1 and 5),
            tapping credentials at -rate, with door events; prints latency
            percentiles, so it doubles as a load generator. Lock ids and
            secrets come from -config (the site config and its master key).
  nexudus   a fake Nexudus REST API (seeded with the demo space) on -listen.
  upstream  a fake event-log upstream on -listen; the bearer token is read from
            the environment variable named by -token-env.`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			config := fs.String("config", defaultConfigPath, "site configuration `file` (locks)")
			broker := fs.String("broker", "tcp://127.0.0.1:1883", "hub MQTT `URL` (locks)")
			count := fs.Int("locks", 0, "number of simulated locks, the first N of the config (locks; 0: all)")
			rate := fs.Float64("rate", 10, "taps per `second` over all locks (locks)")
			duration := fs.Duration("duration", time.Minute, "how long to run (locks)")
			v5 := fs.Int("v5", 50, "`percent` of locks speaking MQTT 5 (locks)")
			openLoop := fs.Bool("open-loop", false, "send on schedule whatever the replies (locks: load tests)")
			creds := fs.String("credentials", "", "credentials to tap, e.g. card:04A1B2C3*5,pin:1234,card:? (locks)")
			listen := fs.String("listen", "127.0.0.1:8090", "listen `address` (nexudus, upstream)")
			tokenEnv := fs.String("token-env", "LOCKHUB_UPSTREAM_TOKEN", "environment `variable` with the bearer token (upstream)")
			level := fs.String("log-level", "info", "log `level`")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("want one of locks, nexudus, upstream")
				}
				log, err := newLogger(e, *level, "text")
				if err != nil {
					return usagef("%v", err)
				}
				switch args[0] {
				case "nexudus":
					s := simnex.New(simnex.Config{Logger: log})
					if err := s.SeedDemo(time.Now()); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "simulated Nexudus on http://%s/api/ (user admin@example.org, password secret)\n", *listen)
					return ignoreCanceled(s.Run(ctx, *listen, log))
				case "upstream":
					token := os.Getenv(*tokenEnv)
					if token == "" {
						return fmt.Errorf("set %s to the bearer token the hub will send", *tokenEnv)
					}
					fmt.Fprintf(e.stdout, "simulated upstream on http://%s/\n", *listen)
					return ignoreCanceled(upstream.New(upstream.Config{Token: token}).Run(ctx, *listen, log))
				case "locks":
					return simLocks(ctx, e, log, *config, locks.Config{
						BrokerURL: *broker, Locks: *count, V5Percent: *v5, Rate: *rate,
						Duration: *duration, OpenLoop: *openLoop, Credentials: *creds, EventRate: *rate / 10,
						Output: e.stdout,
					})
				}
				return usagef("unknown simulator %q", args[0])
			}
		},
	}
}

func simLocks(ctx context.Context, e *env, log *slog.Logger, path string, cfg locks.Config) error {
	site, err := hub.LoadConfigFile(path)
	if err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	if cfg.Locks <= 0 || cfg.Locks > len(site.Locks) {
		cfg.Locks = len(site.Locks)
	}
	cfg.Identity = func(i int) (locks.Identity, error) {
		id := site.Locks[i].ID
		secret, key, err := hub.LockIdentity(site, id)
		return locks.Identity{ID: id, Secret: secret, CommandKey: key}, err
	}
	_, err = locks.Run(ctx, cfg, log)
	return ignoreCanceled(err)
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
