package main

import (
	"context"
	"flag"
)

func explainCommand() command {
	return command{
		name:    "explain",
		summary: "ask a running hub whether a member would open a lock at a time, and why",
		help: `Asks a running hub (through its admin API; the store is locked by the hub)
whether MEMBER may open LOCK at the given time, listing every candidate grant
with the reason it did or did not match.`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			fs.String("hub", "http://127.0.0.1:8080", "base `URL` of the running hub")
			fs.String("token-env", "LOCKHUB_ADMIN_TOKEN", "environment `variable` holding the admin or viewer token")
			fs.String("lock", "", "lock `id`")
			fs.String("member", "", "member `id`")
			fs.String("at", "", "time to decide at, RFC 3339 (default: now)")
			return func(context.Context, *env, []string) error { return errNotWired }
		},
	}
}
