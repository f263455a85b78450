package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSimLocksAgainstARunningHub runs the hub in-process, then lockhub sim
// locks against it for a second: every tap is answered.
func TestSimLocksAgainstARunningHub(t *testing.T) {
	cfg := siteConfig(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var hubErr syncWriter
	done := make(chan int, 1)
	go func() {
		done <- realMain(ctx, []string{"run", "-config", cfg, "-log-level", "info"}, &syncWriter{}, &hubErr)
	}()
	addr := ""
	for deadline := time.Now().Add(20 * time.Second); addr == ""; time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(hubErr.String(), "\n") {
			if i := strings.Index(line, "hub running"); i >= 0 {
				if j := strings.Index(line, "mqtt="); j >= 0 {
					addr = strings.Fields(line[j+len("mqtt="):])[0]
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub did not start: %s", hubErr.String())
		}
	}
	code, out, errOut := runMain(t, "sim", "-config", cfg, "-broker", "tcp://"+addr, "-rate", "20",
		"-duration", "1s", "-credentials", "card:04A1B2C3*3,pin:?", "-log-level", "error", "locks")
	if code != exitOK || !strings.Contains(out, "p50") {
		t.Fatalf("sim locks: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(out, "04A1B2C3") {
		t.Errorf("the report names a credential:\n%s", out)
	}
	cancel()
	if c := <-done; c != exitOK {
		t.Errorf("hub exit %d: %s", c, hubErr.String())
	}
}

func TestSimArgs(t *testing.T) {
	if code, _, _ := runMain(t, "sim"); code != exitUsage {
		t.Errorf("sim without a simulator: exit %d, want usage", code)
	}
	if code, _, _ := runMain(t, "sim", "teleporter"); code != exitUsage {
		t.Errorf("sim teleporter: exit %d, want usage", code)
	}
	os.Unsetenv("LOCKHUB_TEST_NO_TOKEN")
	code, _, errOut := runMain(t, "sim", "-token-env", "LOCKHUB_TEST_NO_TOKEN", "upstream")
	if code != exitFailure || !strings.Contains(errOut, "LOCKHUB_TEST_NO_TOKEN") {
		t.Errorf("sim upstream without a token: exit %d, %q", code, errOut)
	}
	code, _, errOut = runMain(t, "sim", "-config", filepath.Join(t.TempDir(), "none.yaml"), "locks")
	if code != exitFailure || !strings.Contains(errOut, "load config") {
		t.Errorf("sim locks without a config: exit %d, %q", code, errOut)
	}
}
