package main

import (
	"context"
	"flag"
)

func deviceCommand() command {
	return command{
		name:    "device",
		args:    "provision|rotate LOCK",
		summary: "provision a lock: print its MQTT credentials and command key",
		help: `Prints the MQTT credentials and command key a lock needs, derived from the site
master key and the lock's key generation (rotate: after raising key_generation
in the site config).`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			fs.String("config", defaultConfigPath, "site configuration `file`")
			return func(context.Context, *env, []string) error { return errNotWired }
		},
	}
}
