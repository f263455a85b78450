package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/lockhub/lockhub/internal/bench"
)

func benchCommand() command {
	return command{
		name:    "bench",
		summary: "run the performance harness and update docs/performance.md",
		help: `Runs every benchmark of docs/performance.md: the go test benchmarks of the
decision path, MQTT round trips through the hub (in its own process) and
through Mosquitto with a separate responder process, the highest sustained
decision rate, 10,000 locks connecting and the hub's memory, and a profile of
the round trip. Writes results.json and the profiles to -out and rewrites the
tables of -doc between the bench markers. Run it from the module root (it
runs go test and go tool pprof). -quick is the smoke run of make test.
-child is internal: the harness starts its hub, responder and lock-client
processes as "lockhub bench -child hub|responder|locks -spec JSON".`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			quick := fs.Bool("quick", false, "smoke run: every scenario, small counts (checks errors, not speeds)")
			out := fs.String("out", "bench-out", "`directory` for results.json and the profiles")
			doc := fs.String("doc", "", "markdown `file` whose bench section is rewritten (empty: none)")
			md := fs.String("md", "", "also write the rendered tables to this `file`")
			childRole := fs.String("child", "", "internal: run as a harness child process of this `role`")
			spec := fs.String("spec", "", "internal: the child's JSON spec")
			hubEnv := fs.String("hub-env", "", "space-separated `VAR=value` settings added to the hub processes' environment (diagnostics such as GODEBUG=gctrace=1); not with -doc")
			traceRuns := fs.Bool("trace", false, "diagnostic: record each traffic run on a lockhub hub with runtime/trace into -out; not with -doc")
			systems := fs.String("systems", "", "diagnostic: comma-separated `systems` (process, mosquitto, disk) for the round trips and the throughput search (empty: all); not with -doc")
			gen := fs.String("gen", "lean", "diagnostic: the `generator` of the round trips' and the throughput search's taps: lean (simulators/tapgen) or paho (simulators/locks); not paho with -doc")
			only := fs.String("only", "", "comma-separated `scenarios` to run (go, roundtrip, throughput, profile, connect; empty: all); not with -doc")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 0 {
					return usagef("unexpected arguments %q", args)
				}
				if *childRole != "" {
					log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
					return bench.Child(ctx, *childRole, []byte(*spec), os.Stdin, e.stdout, log)
				}
				var names []string
				if *only != "" {
					if *doc != "" {
						return usagef("-only writes a partial run: give -md, not -doc")
					}
					names = strings.Split(*only, ",")
				}
				if *hubEnv != "" && *doc != "" {
					return usagef("-hub-env changes what is measured: give -md, not -doc")
				}
				var sys []string
				if *systems != "" {
					if *doc != "" {
						return usagef("-systems writes a partial run: give -md, not -doc")
					}
					names := map[string]string{"process": bench.SysProcess, "mosquitto": bench.SysMosquitto, "disk": bench.SysDisk}
					for _, n := range strings.Split(*systems, ",") {
						if names[n] == "" {
							return usagef("-systems: unknown system %q (have process, mosquitto, disk)", n)
						}
						sys = append(sys, names[n])
					}
				}
				switch {
				case *gen != "lean" && *gen != "paho":
					return usagef("-gen: unknown generator %q (have lean, paho)", *gen)
				case *gen != "lean" && *doc != "":
					return usagef("-gen changes what is measured: give -md, not -doc")
				}
				if *traceRuns && *doc != "" {
					return usagef("-trace changes what is measured: give -md, not -doc")
				}
				return runBench(ctx, e, *quick, names, sys, strings.Fields(*hubEnv), *traceRuns, *gen, *out, *doc, *md)
			}
		},
	}
}

func runBench(ctx context.Context, e *env, quick bool, only, systems, hubEnv []string, traceRuns bool, gen, out, doc, md string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(wd, "go.mod")); err != nil {
		return errors.New("run lockhub bench from the module root (it runs go test there)")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "lockhub-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	plan := bench.FullPlan()
	if quick {
		plan = bench.QuickPlan()
	}
	if only != nil {
		if plan, err = plan.Only(only); err != nil {
			return usagef("-only: %v", err)
		}
	}
	absOut, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	res, runErr := bench.Execute(ctx, bench.Options{Plan: plan, Quick: quick, Exe: exe, ModuleDir: wd, WorkDir: work, OutDir: absOut, Log: e.stderr, HubEnv: hubEnv, Trace: traceRuns, Systems: systems, Generator: gen})
	if res != nil {
		if err := bench.WriteJSON(filepath.Join(out, "results.json"), res); err != nil {
			return err
		}
		text := bench.Render(res)
		if md != "" {
			if err := os.WriteFile(md, []byte(text), 0o644); err != nil {
				return err
			}
		}
		if doc != "" {
			if err := bench.UpdateDoc(doc, text); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.stdout, "bench: done in %v; %d failures; results in %s\n", res.Elapsed.Round(1e9), len(res.Failures), out)
		if runErr == nil && len(res.Failures) > 0 {
			runErr = fmt.Errorf("%d scenarios failed: %v", len(res.Failures), res.Failures)
		}
	}
	return runErr
}
