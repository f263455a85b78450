package hub_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/internal/keys"
	"github.com/lockhub/lockhub/simulators/locks"
)

// killChildEnv names the config file a re-executed test binary runs a hub
// on (TestKillHubChild).
const killChildEnv = "LOCKHUB_TEST_KILL_CHILD_CONFIG"

// TestKillHubChild is the child process of TestHubSIGKILLDuringTraffic:
// with killChildEnv set it runs a hub on that config, prints "mqtt=<addr>"
// on stdout once it is up, and serves until SIGTERM. Otherwise it skips.
func TestKillHubChild(t *testing.T) {
	path := os.Getenv(killChildEnv)
	if path == "" {
		t.Skip("the child of TestHubSIGKILLDuringTraffic; runs only when re-executed by it")
	}
	cfg, err := hub.LoadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	h, err := hub.New(cfg, hub.Deps{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	fmt.Printf("mqtt=%s\n", h.Broker().Addrs().TCP)
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// childHub is a hub running in a child process.
type childHub struct {
	cmd    *exec.Cmd
	addr   string
	stderr *syncBuffer
	exited chan error
}

// startChildHub re-executes the test binary as a hub on the config file.
func startChildHub(t *testing.T, cfgPath string) *childHub {
	t.Helper()
	c := &childHub{stderr: &syncBuffer{}, exited: make(chan error, 1)}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestKillHubChild$", "-test.count=1")
	c.cmd.Env = append(os.Environ(), killChildEnv+"="+cfgPath)
	c.cmd.Stderr = c.stderr
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start child hub: %v", err)
	}
	addrc := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		addrc <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, r)
		c.exited <- c.cmd.Wait()
	}()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill() // the child this test started
		}
		if t.Failed() {
			t.Logf("child hub %d stderr:\n%s", c.cmd.Process.Pid, c.stderr.String())
		}
	})
	select {
	case line := <-addrc:
		addr, ok := strings.CutPrefix(line, "mqtt=")
		if !ok {
			t.Fatalf("child hub printed %q, want mqtt=<addr>; stderr:\n%s", line, c.stderr.String())
		}
		c.addr = addr
	case <-time.After(60 * time.Second):
		t.Fatalf("child hub did not start; stderr:\n%s", c.stderr.String())
	}
	return c
}

// wait waits for the child's exit.
func (c *childHub) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-c.exited:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("child hub %d did not exit", c.cmd.Process.Pid)
	}
	return nil
}

// relay is a TCP forwarder on a fixed loopback port to the current child
// hub, so the locks keep one broker URL across restarts (each child binds
// port 0). When the child dies, the relayed connections die with it.
type relay struct {
	ln     net.Listener
	target atomic.Pointer[string]
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func startRelay(t *testing.T) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, conns: make(map[net.Conn]struct{})}
	r.wg.Add(1)
	go r.serve()
	t.Cleanup(r.close)
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) serve() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.wg.Add(1)
		go r.pipe(c)
	}
}

func (r *relay) track(c net.Conn, on bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conns == nil {
		return false // closed
	}
	if on {
		r.conns[c] = struct{}{}
	} else {
		delete(r.conns, c)
	}
	return true
}

func (r *relay) pipe(c net.Conn) {
	defer r.wg.Done()
	defer c.Close()
	target := r.target.Load()
	if target == nil {
		return
	}
	up, err := net.DialTimeout("tcp", *target, 2*time.Second)
	if err != nil {
		return // the hub is down: the lock retries
	}
	defer up.Close()
	if !r.track(c, true) || !r.track(up, true) {
		return
	}
	defer r.track(c, false)
	defer r.track(up, false)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done // either side ended: end both
	c.Close()
	up.Close()
	<-done
}

func (r *relay) close() {
	r.ln.Close()
	r.mu.Lock()
	for c := range r.conns {
		c.Close()
	}
	r.conns = nil
	r.mu.Unlock()
	r.wg.Wait()
}

// traffic drives one simulated lock: taps and door events in a loop,
// recording what the lock received.
type traffic struct {
	l        *locks.Lock
	mu       sync.Mutex
	replied  []string // request ids of answered taps (3.1.1), in order
	replies  int      // answered taps
	doorSeqs []uint64 // sequence numbers of the door events generated
}

func (tr *traffic) counts() (replies, doors int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.replies, len(tr.doorSeqs)
}

func (tr *traffic) run(ctx context.Context) {
	creds := []string{siteAliceCard, siteBobCard, siteNoCard}
	kinds := []wire.EventKind{wire.EventOpened, wire.EventClosed}
	for i := 0; ctx.Err() == nil; i++ {
		if i%3 == 0 {
			seq := tr.l.DoorEvent(kinds[(i/3)%2])
			tr.mu.Lock()
			tr.doorSeqs = append(tr.doorSeqs, seq)
			tr.mu.Unlock()
		}
		r, _, err := tr.l.Tap(ctx, wire.TypeCard, creds[i%len(creds)])
		switch {
		case err == nil && !r.Local:
			tr.mu.Lock()
			tr.replies++
			if r.ID != "" {
				tr.replied = append(tr.replied, r.ID)
			}
			tr.mu.Unlock()
		case errors.Is(err, locks.ErrOffline):
			select { // wait for the reconnect without spinning
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// TestHubSIGKILLDuringTraffic kills the hub with SIGKILL while simulated
// locks (MQTT 3.1.1 and 5) send requests and door events, restarts it on
// the same data directory and lets the locks reconnect and resend. Then, in
// the event log: every decision whose reply a lock received is stored (by
// lock and request id for 3.1.1 locks, by count for the MQTT 5 lock, whose
// requests carry no id), every door event each lock generated is stored
// exactly once by (lock, boot, seq), and no lock has anything unacked.
func TestHubSIGKILLDuringTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	for _, durability := range []string{"process", "disk"} {
		t.Run(durability, func(t *testing.T) { testSIGKILL(t, durability) })
	}
}

func testSIGKILL(t *testing.T, durability string) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "hub.yaml")
	if err := os.WriteFile(cfgPath, []byte(lockSiteYAML(filepath.Join(dir, "data"), durability)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := hub.LoadConfigFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.Site.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	master, err := keys.LoadOrCreate(cfg.MasterKeyPath()) // the children load this one
	if err != nil {
		t.Fatal(err)
	}

	rel := startRelay(t)
	child := startChildHub(t, cfgPath)
	rel.target.Store(&child.addr)

	lockSet := []struct {
		id    string
		proto locks.Protocol
	}{{"front-door", locks.MQTT311}, {"back-door", locks.MQTT311}, {"side-door", locks.MQTT5}}
	var drivers []*traffic
	for _, ls := range lockSet {
		id := locks.Identity{ID: ls.id, Secret: master.LockSecret(ls.id, hub.DefaultKeyGeneration),
			CommandKey: master.LockCommandKey(ls.id, hub.DefaultKeyGeneration)}
		// A tap in flight at the kill is lost: it times out, which
		// holds its lock's traffic up for RequestTimeout.
		l := newSimLock(t, rel.addr(), id, ls.proto, func(c *locks.LockConfig) { c.RequestTimeout = time.Second })
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := l.Connect(ctx)
		cancel()
		if err != nil {
			t.Fatalf("connect %s: %v", ls.id, err)
		}
		drivers = append(drivers, &traffic{l: l})
	}
	ctx, stopTraffic := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, d := range drivers {
		wg.Add(1)
		go func() { defer wg.Done(); d.run(ctx) }()
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			stopTraffic()
			wg.Wait()
		}
	}
	defer stop()
	// every lock has had at least n more replies since marks
	progress := func(marks []int, n int) func() bool {
		return func() bool {
			for i, d := range drivers {
				if r, _ := d.counts(); r < marks[i]+n {
					return false
				}
			}
			return true
		}
	}
	marks := func() []int {
		m := make([]int, len(drivers))
		for i, d := range drivers {
			m[i], _ = d.counts()
		}
		return m
	}

	poll(t, 60*time.Second, "traffic before the kill", progress(make([]int, len(drivers)), 20))
	if err := child.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := child.wait(t); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child exit after SIGKILL: %v, want killed", err)
	}

	child = startChildHub(t, cfgPath)
	rel.target.Store(&child.addr)
	poll(t, 60*time.Second, "traffic after the restart", progress(marks(), 20))
	stop()
	for _, d := range drivers {
		poll(t, 30*time.Second, d.l.ID()+" to have its door events acked", func() bool { return d.l.Unacked() == 0 })
	}
	if err := child.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := child.wait(t); err != nil {
		t.Fatalf("child hub after SIGTERM: %v", err)
	}
	// The restarted hub recovered the stage the kill left (checked below by
	// the events the locks saw), and its clean stop left none.
	if dir := events.DefaultStageDir(); dir != "" {
		path, err := events.StagePath(dir, filepath.Join(cfg.Site.DataDir, "events"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stage file after a clean stop: %v, want none", err)
		}
	}

	checkKillLog(t, cfg, drivers)
}

// checkKillLog opens the data directory's event log and checks it against
// what the locks saw.
func checkKillLog(t *testing.T, cfg *hub.Config, drivers []*traffic) {
	t.Helper()
	log, err := events.Open(events.Config{
		Dir:     filepath.Join(cfg.Site.DataDir, "events"),
		KeysDir: filepath.Join(cfg.Site.DataDir, "events-keys"),
		Epoch:   "test-reader", // stamps new events only; this reader appends none
	})
	if err != nil {
		t.Fatalf("open the event log: %v", err)
	}
	defer log.Close()

	type doorKey struct {
		lock string
		boot uint32
		seq  uint64
	}
	decisions := map[string]map[string]bool{} // lock -> request id
	anonymous := map[string]int{}             // lock -> decisions without id
	doors := map[doorKey]int{}
	total := 0
	for after := uint64(0); ; {
		evs, err := log.Scan(after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			total++
			switch e.Type {
			case events.TypeDecision:
				if e.RequestID == "" {
					anonymous[e.Lock]++
					continue
				}
				if decisions[e.Lock] == nil {
					decisions[e.Lock] = map[string]bool{}
				}
				decisions[e.Lock][e.RequestID] = true
			case events.TypeDoor:
				doors[doorKey{e.Lock, e.Boot, e.LockSeq}]++
			}
		}
		after = evs[len(evs)-1].Seq
	}

	for _, d := range drivers {
		id := d.l.ID()
		d.mu.Lock()
		replied, replies, seqs := d.replied, d.replies, d.doorSeqs
		d.mu.Unlock()
		missing := 0
		for _, rid := range replied {
			if !decisions[id][rid] {
				missing++
				if missing <= 5 {
					t.Errorf("%s: decision %s was answered but is not in the event log", id, rid)
				}
			}
		}
		if missing > 0 {
			t.Errorf("%s: %d of %d answered decisions missing", id, missing, len(replied))
		}
		if d.l.Protocol() == locks.MQTT5 && anonymous[id] < replies {
			t.Errorf("%s (MQTT 5): %d decisions logged, fewer than the %d replies it received", id, anonymous[id], replies)
		}
		if d.l.Protocol() == locks.MQTT311 && len(replied) != replies {
			t.Errorf("%s: %d replies but %d request ids", id, replies, len(replied))
		}
		for _, seq := range seqs {
			if n := doors[doorKey{id, d.l.Boot(), seq}]; n != 1 {
				t.Errorf("%s: door event boot %d seq %d stored %d times, want once", id, d.l.Boot(), seq, n)
			}
		}
		var stored int
		for k, n := range doors {
			if k.lock == id {
				stored += n
			}
		}
		if stored != len(seqs) {
			t.Errorf("%s: %d door events stored, %d generated", id, stored, len(seqs))
		}
		st := d.l.Stats()
		t.Logf("%s (%v): %d replies, %d door events, stats %+v", id, d.l.Protocol(), replies, len(seqs), st)
	}
	t.Logf("event log: %d events", total)
}
