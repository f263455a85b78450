package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runMain runs lockhub in-process and returns its exit code and output.
func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = realMain(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out, _ := runMain(t, args...)
		if code != exitOK {
			t.Errorf("lockhub %v: exit %d, want 0", args, code)
		}
		for _, c := range commands() {
			if !strings.Contains(out, "  "+c.name+" ") || !strings.Contains(out, c.summary) {
				t.Errorf("lockhub %v does not list %q with its summary:\n%s", args, c.name, out)
			}
		}
	}
	if code, _, errOut := runMain(t); code != exitUsage || !strings.Contains(errOut, "Commands:") {
		t.Errorf("no arguments: exit %d, stderr %q; want 2 and the usage", code, errOut)
	}
	if code, _, errOut := runMain(t, "frobnicate"); code != exitUsage || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut)
	}
}

func TestCommandHelp(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			code, out, _ := runMain(t, c.name, "-h")
			if code != exitOK || !strings.Contains(out, "Usage: lockhub "+c.name) || !strings.Contains(out, strings.Fields(c.help)[0]) {
				t.Errorf("lockhub %s -h: exit %d, output:\n%s", c.name, code, out)
			}
			if code, _, errOut := runMain(t, c.name, "-no-such-flag"); code != exitUsage || !strings.Contains(errOut, "no-such-flag") {
				t.Errorf("bad flag: exit %d, stderr %q; want 2", code, errOut)
			}
		})
	}
	if code, out, _ := runMain(t, "help", "check-config"); code != exitOK || !strings.Contains(out, "Usage: lockhub check-config") {
		t.Errorf("lockhub help check-config: exit %d, %q", code, out)
	}
}

func TestCheckConfigOK(t *testing.T) {
	code, out, errOut := runMain(t, "check-config", filepath.Join("..", "..", "configs", "demo.yaml"))
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"demo.yaml: ok", "site demo-hub: domains 1, locks 4, keys 4, members 3, grants 3", "tcp 127.0.0.1:1883"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, "482915") {
		t.Errorf("output shows a PIN")
	}
}

func TestCheckConfigFailing(t *testing.T) {
	code, out, errOut := runMain(t, "check-config", filepath.Join("..", "..", "hub", "testdata", "bad", "dangling-refs.yaml"))
	if code != exitFailure || out != "" {
		t.Fatalf("exit %d, stdout %q; want 1 and nothing on stdout", code, out)
	}
	for _, want := range []string{"9 problem(s)", `grants[3].key: unknown key "lobby"`, `locks[1].domain: unknown domain "annex"`, "is not valid"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if code, _, errOut := runMain(t, "check-config", filepath.Join(t.TempDir(), "missing.yaml")); code != exitFailure || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runMain(t, "check-config"); code != exitUsage || !strings.Contains(errOut, "want exactly one FILE") {
		t.Errorf("no file: exit %d, stderr %q", code, errOut)
	}
}

func TestCheckConfigSecrets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.yaml")
	cfg := "site: {id: x, data_dir: " + dir + "}\ndomains: [{id: hq, zone: UTC}]\n" +
		"upstream: {url: 'https://up.example.org/', token_env: LOCKHUB_TEST_UPSTREAM}\n" +
		"members: [{id: m, domain: hq, pin: '123456'}]\n"
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runMain(t, "check-config", "-secrets", path)
	if code != exitFailure || !strings.Contains(errOut, "upstream.token: environment variable LOCKHUB_TEST_UPSTREAM is not set") {
		t.Errorf("unset secret: exit %d, stderr:\n%s", code, errOut)
	}
	t.Setenv("LOCKHUB_TEST_UPSTREAM", "tok-very-secret")
	code, _, errOut = runMain(t, "check-config", "-secrets", path)
	if code != exitOK || strings.Contains(errOut, "tok-very-secret") {
		t.Errorf("set secret: exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "readable by others") {
		t.Errorf("no warning for a world-readable file with credentials:\n%s", errOut)
	}
}

func TestRunWithMissingConfig(t *testing.T) {
	code, _, errOut := runMain(t, "run", "-config", filepath.Join(t.TempDir(), "nope.yaml"))
	if code != exitFailure || !strings.Contains(errOut, "load config") {
		t.Errorf("run with a missing config: exit %d, stderr %q", code, errOut)
	}
}
