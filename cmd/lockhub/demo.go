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
		summary: "run a demo site on 127.0.0.1 with simulated locks and Nexudus",
		help: `Runs the hub with a demo configuration (default configs/demo.yaml, data in
./.lockhub-demo), a simulated Nexudus and simulated locks, all on 127.0.0.1.`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			config := fs.String("config", "configs/demo.yaml", "demo site configuration `file`")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 0 {
					return usagef("unexpected arguments %q", args)
				}
				if _, err := hub.LoadConfigFile(*config); err != nil {
					return fmt.Errorf("load config: %w", err)
				}
				return errNotWired
			}
		},
	}
}
