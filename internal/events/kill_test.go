package events

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

const (
	envKillChild = "LOCKHUB_EVENTS_KILL_CHILD" // durability of the child
	envKillRoot  = "LOCKHUB_EVENTS_KILL_ROOT"  // its data dir
	modeDirect   = "process-direct"            // process durability without a stage
)

// TestKillChild is the child side of TestKillLosesNoAcknowledgedEvent: it
// appends from four goroutines until killed and prints "<i> <seq>" for each
// acknowledged append.
func TestKillChild(t *testing.T) {
	mode := os.Getenv(envKillChild)
	if mode == "" {
		t.Skip("child of TestKillLosesNoAcknowledgedEvent only")
	}
	cfg := testConfig(os.Getenv(envKillRoot))
	if mode == modeDirect {
		mode, cfg.StageDir = DurabilityProcess.String(), ""
	}
	d, err := ParseDurability(mode)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Durability = d
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; ; i += 4 {
				ev := decisionEvent(i)
				ev.RequestID = "kill-" + itoa(i)
				ev.Personal = Personal{Name: "P" + itoa(i)}
				seq, err := l.Append(context.Background(), ev)
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "%d %d\n", i, seq) // os.Stdout is unbuffered
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func TestKillLosesNoAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	for _, d := range []string{DurabilityProcess.String(), modeDirect, DurabilityDisk.String()} {
		t.Run(d, func(t *testing.T) {
			root := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), envKillChild+"="+d, envKillRoot+"="+root)
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			acked := map[uint64]int{}
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				var i int
				var seq uint64
				if _, err := fmt.Sscanf(sc.Text(), "%d %d", &i, &seq); err != nil {
					continue // not ours (test framework output)
				}
				if _, dup := acked[seq]; dup {
					t.Errorf("seq %d acknowledged twice", seq)
				}
				acked[seq] = i
				if len(acked) == 400 {
					if err := cmd.Process.Kill(); err != nil { // SIGKILL
						t.Fatal(err)
					}
				}
			}
			err = cmd.Wait()
			if len(acked) < 400 {
				t.Fatalf("child printed %d seqs before exiting (%v)", len(acked), err)
			}
			if ee, ok := err.(*exec.ExitError); !ok || !strings.Contains(ee.Error(), "killed") {
				t.Fatalf("child exit = %v, want killed", err)
			}

			cfg := testConfig(root)
			switch d {
			case modeDirect:
				cfg.StageDir = ""
			case DurabilityDisk.String():
				cfg.Durability = DurabilityDisk
			}
			l := openLog(t, cfg)
			var maxSeq uint64
			for seq, i := range acked {
				ev, err := l.Get(seq)
				if err != nil {
					t.Errorf("acknowledged seq %d lost: %v", seq, err)
					continue
				}
				if ev.RequestID != "kill-"+itoa(i) || ev.Personal.Name != "P"+itoa(i) {
					t.Errorf("seq %d = %q/%q, want append %d", seq, ev.RequestID, ev.Personal.Name, i)
				}
				maxSeq = max(maxSeq, seq)
			}
			if seq := mustAppend(t, l, decisionEvent(0)); seq <= maxSeq {
				t.Errorf("seq after kill = %d, reuses <= %d", seq, maxSeq)
			}
			t.Logf("%s: %d acknowledged events survived SIGKILL; %d stored in all; next seq %d",
				d, len(acked), l.Stats().LastSeq-1, l.Stats().LastSeq)
		})
	}
}
