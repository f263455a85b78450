package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/lockhub/lockhub/hub"
)

func checkConfigCommand() command {
	return command{
		name:    "check-config",
		args:    "FILE",
		summary: "load and validate a site config; print a summary or every problem",
		help: `Loads the site configuration FILE strictly (unknown fields are errors), fills in
defaults and validates it. On success prints a summary (domains, locks, keys,
members, grants). On failure prints every problem with its field path and exits 1.
With -secrets it also resolves every configured secret (_env and _file settings)
without printing the values.`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			secrets := fs.Bool("secrets", false, "also resolve the configured secrets (environment variables, files)")
			return func(_ context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("want exactly one FILE, got %d arguments", len(args))
				}
				return checkConfig(e, args[0], *secrets)
			}
		},
	}
}

func checkConfig(e *env, path string, secrets bool) error {
	c, err := hub.LoadConfigFile(path)
	if err != nil {
		var ce *hub.ConfigError
		if errors.As(err, &ce) {
			fmt.Fprintf(e.stderr, "%s: %d problem(s):\n", path, len(ce.Problems))
			for _, p := range ce.Problems {
				fmt.Fprintf(e.stderr, "  %v\n", p)
			}
			return fmt.Errorf("%s is not valid", path)
		}
		return err
	}
	if secrets {
		var bad []string
		for _, ref := range c.SecretRefs() {
			if !ref.Configured() {
				continue
			}
			if _, err := c.Secret(ref); err != nil {
				bad = append(bad, err.Error())
			}
		}
		if len(bad) > 0 {
			fmt.Fprintf(e.stderr, "%s: %d secret(s) cannot be resolved:\n  %s\n", path, len(bad), strings.Join(bad, "\n  "))
			return fmt.Errorf("%s: secrets missing", path)
		}
	}
	if hasCredentials(c) {
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
			fmt.Fprintf(e.stderr, "warning: %s holds member credentials but is readable by others (mode %v); chmod 600 it\n",
				path, st.Mode().Perm())
		}
	}
	fmt.Fprintf(e.stdout, "%s: ok\n", path)
	fmt.Fprintf(e.stdout, "site %s: domains %d, locks %d, keys %d, members %d, grants %d\n",
		c.Site.ID, len(c.Domains), len(c.Locks), len(c.Keys), len(c.Members), len(c.Grants))
	fmt.Fprintf(e.stdout, "mqtt: %s; http: %s; nexudus: %s; upstream: %s\n",
		listenerSummary(c), c.HTTP.Address, onOff(c.NexudusEnabled(), c.Nexudus.BaseURL), onOff(c.Upstream.URL != "", c.Upstream.URL))
	return nil
}

func hasCredentials(c *hub.Config) bool {
	for _, m := range c.Members {
		if len(m.Cards)+len(m.Fobs)+len(m.PhoneKeys) > 0 || m.PIN != "" {
			return true
		}
	}
	return false
}

func listenerSummary(c *hub.Config) string {
	l := c.MQTT.Listeners
	var parts []string
	if !l.TCP.Disabled {
		parts = append(parts, "tcp "+l.TCP.Address)
	}
	if l.TLS.Address != "" {
		parts = append(parts, "tls "+l.TLS.Address)
	}
	if l.WebSocket.Address != "" {
		parts = append(parts, "websocket "+l.WebSocket.Address)
	}
	return strings.Join(parts, ", ")
}

func onOff(on bool, what string) string {
	if !on {
		return "off"
	}
	return what
}
