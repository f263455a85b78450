package main

import (
	"context"
	"flag"
)

// command is one subcommand. Adding a subcommand is one entry in commands.
type command struct {
	name    string
	args    string // positional arguments, for the synopsis
	summary string // one line, for lockhub --help
	help    string // a paragraph, for lockhub <command> -h
	// setup defines the command's flags on fs and returns its body, which
	// runs with the positional arguments left after the flags.
	setup func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
}

// commands is the table of subcommands, in the order --help lists them.
func commands() []command {
	return []command{
		runCommand(),
		demoCommand(),
		checkConfigCommand(),
		explainCommand(),
		deviceCommand(),
		backupCommand(),
		restoreCommand(),
		simCommand(),
		benchCommand(),
	}
}
