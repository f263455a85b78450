package main

import (
	"context"
	"flag"
)

func simCommand() command {
	return command{
		name:    "sim",
		args:    "locks|nexudus",
		summary: "run simulated locks or a simulated Nexudus against a local hub",
		help: `Runs simulators for demos and manual testing: fake locks speaking the lock
protocol over MQTT, or a fake Nexudus API with fault injection.`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			fs.String("mqtt", "127.0.0.1:1883", "hub MQTT `address` (locks)")
			fs.String("listen", "127.0.0.1:8090", "listen `address` (nexudus)")
			return func(context.Context, *env, []string) error { return errNotWired }
		},
	}
}
