package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/lockhub/lockhub/hub"
)

func deviceCommand() command {
	return command{
		name:    "device",
		args:    "secret LOCK | user-secret USER",
		summary: "print a lock's (or an MQTT user's) credentials, derived from the master key",
		help: `secret LOCK prints the MQTT password of a configured lock: derived from the
site master key and the lock's key_generation, so nothing per lock is stored.
Raise key_generation in the site config and reload (SIGHUP) to re-issue it; the
old secret stops working at the lock's next connect. The lock's MQTT username
is its id. user-secret USER prints the password of an integration user listed
under mqtt.users. Needs read access to the master key file, not a running hub.`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			config := fs.String("config", defaultConfigPath, "site configuration `file`")
			return func(_ context.Context, e *env, args []string) error {
				if len(args) != 2 {
					return usagef("want secret LOCK or user-secret USER")
				}
				cfg, err := hub.LoadConfigFile(*config)
				if err != nil {
					return fmt.Errorf("load config: %w", err)
				}
				var secret string
				switch args[0] {
				case "secret":
					secret, err = hub.LockSecret(cfg, args[1])
				case "user-secret":
					secret, err = hub.UserSecret(cfg, args[1])
				default:
					return usagef("unknown device subcommand %q", args[0])
				}
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, secret)
				return nil
			}
		},
	}
}
