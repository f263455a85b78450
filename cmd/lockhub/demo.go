package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/lockhub/lockhub/hub"
)

func demoCommand() command {
	return command{
		name:    "demo",
		summary: "run a demo site on 127.0.0.1 (nothing to configure)",
		help: `Runs the hub with the demo configuration (default configs/demo.yaml, data in
./.lockhub-demo), everything on 127.0.0.1, and prints what to try. Stop it
with Ctrl-C.`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			config := fs.String("config", "configs/demo.yaml", "demo site configuration `file`")
			level := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 0 {
					return usagef("unexpected arguments %q", args)
				}
				log, err := newLogger(e, *level, "text")
				if err != nil {
					return usagef("%v", err)
				}
				return runHub(ctx, log, *config, func(h *hub.Hub) { printDemoBanner(e, h) })
			}
		},
	}
}

func printDemoBanner(e *env, h *hub.Hub) {
	cfg := h.Config()
	addr := h.Broker().Addrs().TCP
	fmt.Fprintf(e.stdout, "\nlockhub demo: site %q, MQTT on %s, data in %s\n", cfg.Site.ID, addr, cfg.Site.DataDir)
	if len(cfg.Locks) == 0 {
		return
	}
	lock := cfg.Locks[0].ID
	secret, err := hub.LockSecret(cfg, lock)
	if err != nil {
		return
	}
	host, port := splitHostPort(addr)
	fmt.Fprintf(e.stdout, `
Try it as lock %[1]q would (mosquitto-clients), in two terminals:

  mosquitto_sub -h %[3]s -p %[4]s -u %[1]s -P '%[2]s' -i %[1]s/sub -t 'lockhub/v1/locks/%[1]s/res' -v
  mosquitto_pub -h %[3]s -p %[4]s -u %[1]s -P '%[2]s' -i %[1]s/pub -q 1 \
    -t 'lockhub/v1/locks/%[1]s/req' -m '{"v":1,"id":"r1","type":"card","credential":"04:A1:B2:C3"}'

Lock secrets: lockhub device -config configs/demo.yaml secret LOCK
Protocol:     docs/protocol.md. Stop the demo with Ctrl-C.

`, lock, secret, host, port)
}

func splitHostPort(addr string) (string, string) {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[:i], addr[i+1:]
		}
	}
	return addr, "1883"
}
