package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/simulators/locks"
)

// Environment of the hub child process.
const (
	envHubConfig = "LOCKHUB_TEST_HUB_CONFIG"
	envHubReady  = "LOCKHUB_TEST_HUB_READY"
)

// TestExternalHubProcess is the child process of TestExternalTwoHubs: a hub
// run from the config file named by the environment until SIGTERM (or
// SIGKILL). It writes its HTTP address to the ready file once connected
// to the broker.
func TestExternalHubProcess(t *testing.T) {
	path := os.Getenv(envHubConfig)
	if path == "" {
		t.Skip("helper process of TestExternalTwoHubs")
	}
	cfg, err := hub.LoadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(cfg, hub.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	waitUntil(t, "connected", h.External().Connected)
	if err := os.WriteFile(os.Getenv(envHubReady), []byte(h.HTTPAddrs().Main), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// hubProc is a hub child process.
type hubProc struct {
	name, dir, config string
	cmd               *exec.Cmd
	http              string
	exited            chan struct{}
}

func startHubProc(t *testing.T, name, dir, config string) *hubProc {
	t.Helper()
	ready := filepath.Join(dir, "ready")
	logf, err := os.Create(filepath.Join(dir, "hub.log"))
	if err != nil {
		t.Fatal(err)
	}
	p := &hubProc{name: name, dir: dir, config: config, exited: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], "-test.run=^TestExternalHubProcess$", "-test.count=1")
	p.cmd.Env = append(os.Environ(), envHubConfig+"="+config, envHubReady+"="+ready)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); logf.Close(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("hub %s output:\n%s", name, b)
		}
	})
	deadline := time.Now().Add(extWait)
	for {
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 {
			p.http = "http://" + string(b)
			return p
		}
		select {
		case <-p.exited:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("hub %s exited before ready:\n%s", name, b)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub %s not ready", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *hubProc) post(t *testing.T, path, body string) {
	t.Helper()
	res, err := http.Post(p.http+path, "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		t.Fatalf("hub %s POST %s: %d %s", p.name, path, res.StatusCode, b)
	}
}

func (p *hubProc) get(t *testing.T, path string, out any) {
	t.Helper()
	res, err := http.Get(p.http + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("hub %s GET %s: %d %s", p.name, path, res.StatusCode, b)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// explainReason asks a hub why alice would or would not open lock now.
func (p *hubProc) explainReason(t *testing.T, lock string) string {
	t.Helper()
	var r hub.ExplainResult
	p.get(t, "/api/explain?lock="+lock+"&member=alice", &r)
	return r.Reason
}

type eventKey struct {
	lock string
	boot uint32
	seq  uint64
}

// storedDoorEvents reopens a stopped hub's data dir and lists its door events.
func storedDoorEvents(t *testing.T, config string) map[eventKey]bool {
	t.Helper()
	cfg, err := hub.LoadConfigFile(config)
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(cfg, hub.Deps{})
	if err != nil {
		t.Fatalf("reopen %s: %v", cfg.Site.ID, err)
	}
	defer h.Close()
	evs, err := h.Events().Scan(0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[eventKey]bool{}
	for _, e := range evs {
		if e.Boot != 0 {
			out[eventKey{e.Lock, e.Boot, e.LockSeq}] = true
		}
	}
	return out
}

// TestExternalTwoHubs: Mosquitto as the external broker, two hub processes
// (own data dirs, one master key, distinct site ids) serving 20 simulated
// MQTT 3.1.1 locks through a shared subscription. Every request is
// answered, and by both hubs in turn; a lockdown, its lifting and a
// revocation made on one hub hold on the other; one hub killed with
// SIGKILL mid-stream leaves the other answering every request (a request
// caught in the killed hub is retried once by the lock), and no
// acknowledged door event is lost: each is in the store of a hub.
func TestExternalTwoHubs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts mosquitto and two hub processes")
	}
	mosquittoBin(t)
	root := t.TempDir()
	keyPath, m := newMasterKey(t, t.TempDir())
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	ids := extLockIDs(20)
	url := startMosquitto(t, extHubUser, brokerUsers(m, ids))
	procs := map[string]*hubProc{}
	for _, name := range []string{"a", "b"} {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		kp := filepath.Join(dir, "master.key") // the same key, copied
		if err := os.WriteFile(kp, key, 0o600); err != nil {
			t.Fatal(err)
		}
		pw := writeSecretFile(t, dir, "mqtt-password", extHubPass)
		y := extSiteYAML(filepath.Join(dir, "data"), "hub-"+name, kp, ids, externalMQTT(url, pw))
		cfgPath := writeSecretFile(t, dir, "hub.yaml", y)
		procs[name] = startHubProc(t, name, dir, cfgPath)
	}
	a, b := procs["a"], procs["b"]

	fleet, err := locks.NewFleet(locks.FleetConfig{
		BrokerURL: url, Count: len(ids),
		Identity: func(i int) (locks.Identity, error) { return lockIdentity(m, ids[i]), nil },
		Lock: locks.LockConfig{RequestTimeout: time.Second, RequestRetry: true,
			EventResend: 300 * time.Millisecond, EventResendMax: time.Second,
			ReconnectMin: 50 * time.Millisecond, ReconnectMax: 500 * time.Millisecond},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fleet.Close)
	if rep, err := fleet.Connect(t.Context()); err != nil || rep.Failed > 0 {
		t.Fatalf("fleet connect: %v %v", rep, err)
	}

	var mu sync.Mutex
	sent := map[eventKey]bool{}
	var taps, failures atomic.Int64
	tapAll := func(rounds int) {
		var wg sync.WaitGroup
		for _, l := range fleet.Locks() {
			wg.Go(func() {
				for range rounds {
					r, _, err := l.Tap(context.Background(), wire.TypeCard, extCard)
					taps.Add(1)
					if err != nil || !r.Granted() {
						failures.Add(1)
						t.Errorf("lock %s: tap = %+v, %v", l.ID(), r, err)
					}
					seq := l.DoorEvent(wire.EventOpened)
					mu.Lock()
					sent[eventKey{l.ID(), l.Boot(), seq}] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}

	// 1. Every request answered, by both hubs in turn.
	tapAll(5)
	for _, p := range []*hubProc{a, b} {
		var ds []json.RawMessage
		p.get(t, "/api/decisions?limit=500", &ds)
		if len(ds) == 0 {
			t.Errorf("hub %s answered no request: the shared subscription did not spread them", p.name)
		}
		t.Logf("hub %s answered %d of %d requests", p.name, len(ds), taps.Load())
	}

	// 2. A lockdown set on one hub holds on both, and the lock gets it.
	lock0 := fleet.Locks()[0]
	waitUntil(t, "lock 0 known online by hub a", func() bool {
		var ls []hub.LockView
		a.get(t, "/api/locks", &ls)
		for _, v := range ls {
			if v.ID == lock0.ID() {
				return v.Online
			}
		}
		return false
	})
	a.post(t, "/api/admin/locks/"+lock0.ID()+"/lockdown", `{"on":true}`)
	waitUntil(t, "lock 0 in lockdown", func() bool { return lock0.State().Lockdown })
	waitUntil(t, "hub b decides lockdown", func() bool { return b.explainReason(t, lock0.ID()) == "lockdown" })
	b.post(t, "/api/admin/locks/"+lock0.ID()+"/lockdown", `{"on":false}`)
	waitUntil(t, "lockdown lifted at lock 0", func() bool { return !lock0.State().Lockdown })
	waitUntil(t, "hub a allows again", func() bool { return a.explainReason(t, lock0.ID()) == "allowed" })
	// A local revocation on b holds on a; lifted on a, on b.
	b.post(t, "/api/admin/revoke", `{"member":"alice","note":"lost badge"}`)
	waitUntil(t, "hub a refuses the revoked member", func() bool { return a.explainReason(t, lock0.ID()) == "member_inactive" })
	a.post(t, "/api/admin/unrevoke", `{"member":"alice"}`)
	waitUntil(t, "hub b allows again", func() bool { return b.explainReason(t, lock0.ID()) == "allowed" })

	// 3. Hub a killed with SIGKILL while requests and events flow.
	before := taps.Load()
	var atKill atomic.Int64
	go func() {
		for taps.Load()-before < 100 { // a third of the way into the stream
			time.Sleep(time.Millisecond)
		}
		atKill.Store(taps.Load() - before)
		_ = a.cmd.Process.Signal(syscall.SIGKILL)
	}()
	tapAll(15)
	<-a.exited
	st := fleet.Stats()
	t.Logf("taps after the kill: %d (killed after %d), failures %d, request retries %d, event resends %d",
		taps.Load()-before-atKill.Load(), atKill.Load(), failures.Load(), st.RequestRetries, st.EventResends)
	if atKill.Load() == 0 || taps.Load()-before-atKill.Load() < 100 {
		t.Errorf("the kill did not land mid-stream (after %d of %d taps)", atKill.Load(), taps.Load()-before)
	}
	waitUntil(t, "every door event acked", func() bool { return fleet.Unacked() == 0 })

	// 4. No acknowledged event lost: each is in the store of a or of b.
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.exited:
	case <-time.After(extWait):
		t.Fatal("hub b did not stop on SIGTERM")
	}
	storedA := storedDoorEvents(t, a.config)
	storedB := storedDoorEvents(t, b.config)
	if len(storedA) == 0 || len(storedB) == 0 {
		t.Errorf("door events stored: a %d, b %d; want both > 0", len(storedA), len(storedB))
	}
	lost := 0
	for k := range sent {
		if !storedA[k] && !storedB[k] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged door events are in neither hub's store", lost, len(sent))
	}
	t.Logf("door events: %d sent and acked; a stored %d, b stored %d", len(sent), len(storedA), len(storedB))
	if failures.Load() > 0 {
		t.Errorf("%d of %d taps unanswered or refused", failures.Load(), taps.Load())
	}
}
