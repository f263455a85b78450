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
		args:    "secret LOCK | user-secret USER | provision LOCK | rotate LOCK",
		summary: "print a lock's (or an MQTT user's) credentials, derived from the master key",
		help: `secret LOCK prints the MQTT password of a configured lock: derived from the
site master key and the lock's key_generation, so nothing per lock is stored.
Raise key_generation in the site config and reload (SIGHUP) to re-issue it; the
old secret stops working at the lock's next connect. The lock's MQTT username
is its id. user-secret USER prints the password of an integration user listed
under mqtt.users. Needs read access to the master key file, not a running hub.

provision LOCK and rotate LOCK ask a running hub (-hub, token from
-token-env): provision adds a lock of origin admin in -domain (named -name)
and prints its secret, once; rotate raises an admin lock's key generation and
prints the new secret (locks of the site config rotate through the config
file: raise key_generation and reload).`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			config := fs.String("config", defaultConfigPath, "site configuration `file`")
			hf := addHubFlags(fs, "")
			domain := fs.String("domain", "", "provision: the lock's domain `id`")
			name := fs.String("name", "", "provision: the lock's display `name`")
			failMode := fs.String("fail-mode", "", "provision: `secure` (default) or safe")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 2 {
					return usagef("want secret LOCK, user-secret USER, provision LOCK or rotate LOCK")
				}
				if args[0] == "provision" || args[0] == "rotate" {
					if *hf.url == "" {
						return usagef("%s needs a running hub: give -hub URL", args[0])
					}
					c, err := hf.client()
					if err != nil {
						return err
					}
					var p hub.ProvisionResponse
					if args[0] == "provision" {
						if *domain == "" {
							return usagef("provision needs -domain")
						}
						p, err = c.ProvisionLock(ctx, args[1], *domain, *name, *failMode)
					} else {
						p, err = c.RotateLock(ctx, args[1])
					}
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stderr, "lock %s (domain %s, key generation %d): MQTT username %s; the secret follows, shown once\n",
						p.Lock.ID, p.Lock.Domain, p.Lock.KeyGeneration, p.MQTTUsername)
					fmt.Fprintln(e.stdout, p.Secret)
					return nil
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
