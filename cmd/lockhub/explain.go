package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/policy"
)

func explainCommand() command {
	return command{
		name:    "explain",
		summary: "would a member or credential open a lock at a time, and why",
		help: `Decides, exactly as the hub would, whether -member (or a credential: -card,
-fob, -pin, -phone) may open -lock at -at, and lists every candidate grant
with the reason it did or did not match. By default it reads the store of a
stopped hub (Badger locks its directory while the hub runs); with -hub it asks
a running hub's API instead (POST /api/explain, with the token from -token-env).`,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			config := fs.String("config", defaultConfigPath, "site configuration `file`")
			lock := fs.String("lock", "", "lock `id` (required)")
			member := fs.String("member", "", "member `id`")
			card := fs.String("card", "", "card `id` (any accepted spelling)")
			fob := fs.String("fob", "", "fob `id`")
			pin := fs.String("pin", "", "keypad `PIN`")
			phone := fs.String("phone", "", "phone key `token`")
			at := fs.String("at", "", "time to decide at, RFC 3339 (default: now)")
			hf := addHubFlags(fs, "")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 0 {
					return usagef("unexpected arguments %q", args)
				}
				q := hub.ExplainQuery{Lock: *lock, Member: *member, At: time.Now()}
				n := 0
				for _, c := range []struct {
					t policy.CredentialType
					v string
				}{{policy.CredCard, *card}, {policy.CredFob, *fob}, {policy.CredPIN, *pin}, {policy.CredPhone, *phone}} {
					if c.v != "" {
						q.Type, q.Value = c.t, c.v
						n++
					}
				}
				if q.Lock == "" || (q.Member == "") == (n == 0) || n > 1 {
					return usagef("want -lock and exactly one of -member, -card, -fob, -pin, -phone")
				}
				if *at != "" {
					t, err := time.Parse(time.RFC3339, *at)
					if err != nil {
						return usagef("bad -at %q: want RFC 3339, e.g. 2026-11-23T09:00:00+01:00", *at)
					}
					q.At = t
				}
				var ex policy.Explanation
				if *hf.url != "" {
					c, err := hf.client()
					if err != nil {
						return err
					}
					if ex, err = c.Explain(ctx, q); err != nil {
						return err
					}
				} else {
					cfg, err := hub.LoadConfigFile(*config)
					if err != nil {
						return fmt.Errorf("load config: %w", err)
					}
					if ex, err = hub.ExplainStopped(cfg, q); err != nil {
						return err
					}
				}
				printExplanation(e, q, ex)
				return nil
			}
		},
	}
}

func printExplanation(e *env, q hub.ExplainQuery, ex policy.Explanation) {
	verdict := "DENY"
	if ex.Decision.Allowed() {
		verdict = "ALLOW"
	}
	fmt.Fprintf(e.stdout, "%s %s (lock %s at %s)\n", verdict, ex.Decision.Reason, q.Lock, q.At.Format(time.RFC3339))
	if ex.Member != nil {
		fmt.Fprintf(e.stdout, "member: %s (%s, %s)\n", ex.Member.ID, ex.Member.Name, ex.Member.Status)
	}
	if ex.Decision.Grant.Reference != "" {
		fmt.Fprintf(e.stdout, "grant:  %s via access %s\n", ex.Decision.Grant, ex.Decision.Access)
	}
	if len(ex.Candidates) == 0 {
		return
	}
	fmt.Fprintln(e.stdout, "\ncandidate grants:")
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  GRANT\tACCESS\tFROM\tUNTIL\tRESULT")
	for _, c := range ex.Candidates {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.Grant.GrantKey, c.Grant.Access, fmtTime(c.Grant.From), fmtTime(c.Grant.Until), c.Reason)
	}
	tw.Flush()
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}
