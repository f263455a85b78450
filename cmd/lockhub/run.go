package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/lockhub/lockhub/hub"
)

// defaultConfigPath is where run looks for the site config.
const defaultConfigPath = "/etc/lockhub/hub.yaml"

func runCommand() command {
	return command{
		name:    "run",
		summary: "run the hub: broker, decisions, Nexudus sync, event upload, status page",
		help: `Runs the hub with the site configuration until SIGINT or SIGTERM, then shuts
down in stages (HTTP and cron, uploader flush, broker, store last).`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			config := fs.String("config", defaultConfigPath, "site configuration `file`")
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
