package upload_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/simulators/upstream"
	"github.com/lockhub/lockhub/sync/upload"
)

const (
	envKillURL  = "LOCKHUB_UPLOAD_KILL_URL"  // the sink, in the parent
	envKillRoot = "LOCKHUB_UPLOAD_KILL_ROOT" // the data dir
)

// TestKillChild is the child side of TestKillDuringUpload: it drains the
// log to the parent's sink, then exits.
func TestKillChild(t *testing.T) {
	url := os.Getenv(envKillURL)
	if url == "" {
		t.Skip("child of TestKillDuringUpload only")
	}
	l := openLog(t, logConfig(os.Getenv(envKillRoot)))
	u, err := upload.New(upload.Config{URL: url, Token: testToken, HubID: testHub, Epoch: testEpoch, MaxBatchEvents: 500},
		upload.Deps{Outbox: l, Client: loopbackClient()})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestKillDuringUpload SIGKILLs the uploader process during uploads, in
// some rounds while the sink holds a batch it has stored but not yet
// answered. After each restart nothing is lost and a batch the sink already
// has comes back only under the same key (a replay), never as duplicate
// events under another key.
func TestKillDuringUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	const n = 20_000 // 40 batches of 500
	root := t.TempDir()
	l := openLog(t, logConfig(root))
	appendN(t, l, 0, n)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	sink, srv := newSink(t, false)

	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), envKillURL+"="+srv.URL+"/v1/events", envKillRoot+"="+root)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	kill := func(cmd *exec.Cmd) {
		if err := cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("child exit = %v, want killed", err)
		}
	}
	waitAccepted := func(cmd *exec.Cmd, atLeast int) {
		deadline := time.Now().Add(30 * time.Second)
		for sink.Report().Accepted < atLeast {
			if time.Now().After(deadline) {
				kill(cmd)
				t.Fatalf("sink accepted %d batches, waiting for %d", sink.Report().Accepted, atLeast)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	for round := range 6 {
		before := sink.Report().Accepted
		held := round%2 == 0
		if held {
			// The next batch is stored, then its answer held back: the kill
			// lands between the sink's commit and the hub's ack.
			sink.SetFaults(upstream.Fault{Kind: upstream.FaultSlowAnswer, Delay: 10 * time.Second, Times: 1})
		}
		cmd := start()
		if held {
			waitAccepted(cmd, before+1)
		} else {
			waitAccepted(cmd, before+3) // somewhere in the stream
		}
		kill(cmd)
		sink.ClearFaults()
	}
	cmd := start()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final child: %v", err)
	}
	rep := checkComplete(t, sink, n)
	if rep.Replays < 3 || rep.Conflicts != 0 || rep.Duplicates != 0 {
		t.Errorf("replays %d (want >= 3, one per held round), conflicts %d, duplicates %d",
			rep.Replays, rep.Conflicts, rep.Duplicates)
	}
	t.Logf("%d events once after 6 kills: %d batches accepted, %d replays under the same key, %d requests",
		rep.Unique, rep.Accepted, rep.Replays, rep.Requests)
}
