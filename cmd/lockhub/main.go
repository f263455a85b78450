// Command lockhub is the on-prem hub for coworking door locks: one binary
// with subcommands (run, demo, check-config, explain, device, backup,
// restore, sim).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what a command may use of the outside world; main builds it.
type env struct {
	stdout io.Writer
	stderr io.Writer
}

// usageError is a mistake in the command line: exit code 2 and a hint.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// realMain runs lockhub with args (without the program name) and returns the
// exit code. Tests call it in-process.
func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	cmds := commands()
	if len(args) == 0 {
		printUsage(stderr, cmds)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			return realMain(ctx, []string{args[1], "-h"}, stdout, stderr)
		}
		printUsage(stdout, cmds)
		return exitOK
	}
	cmd, ok := findCommand(cmds, args[0])
	if !ok {
		fmt.Fprintf(stderr, "lockhub: unknown command %q\n\n", args[0])
		printUsage(stderr, cmds)
		return exitUsage
	}
	fs := flag.NewFlagSet("lockhub "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	body := cmd.setup(fs)
	fs.Usage = func() { cmd.printUsage(fs) }
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			cmd.printUsage(fs)
			return exitOK
		}
		return exitUsage // the flag package has printed the problem and the usage
	}
	err := body(ctx, e, fs.Args())
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "lockhub %s: %v\n", cmd.name, err)
		cmd.printUsage(fs)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "lockhub %s: %v\n", cmd.name, err)
		return exitFailure
	}
}

func printUsage(w io.Writer, cmds []command) {
	fmt.Fprintf(w, "lockhub: on-prem hub for coworking door locks\n\n")
	fmt.Fprintf(w, "Usage:\n  lockhub <command> [flags] [arguments]\n\nCommands:\n")
	width := 0
	for _, c := range cmds {
		width = max(width, len(c.name))
	}
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'lockhub <command> -h' for a command's flags.\n")
}

func findCommand(cmds []command, name string) (command, bool) {
	for _, c := range cmds {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// printUsage writes the command's synopsis, description and flags to the
// flag set's output.
func (c command) printUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage: lockhub %s", c.name)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprint(w, " [flags]")
	}
	if c.args != "" {
		fmt.Fprint(w, " "+c.args)
	}
	fmt.Fprintf(w, "\n\n%s\n", strings.TrimSpace(c.help))
	if hasFlags {
		fmt.Fprintf(w, "\nFlags:\n")
		fs.PrintDefaults()
	}
}
