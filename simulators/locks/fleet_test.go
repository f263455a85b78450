package locks_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/simulators/locks"
)

func fleetIdentity(prefix string) func(int) (locks.Identity, error) {
	return func(i int) (locks.Identity, error) { return identity(fmt.Sprintf("%s-%04d", prefix, i)), nil }
}

func TestFleetConnects200AndRunsTraffic(t *testing.T) {
	hub, url := startHub(t)
	const n = 200
	f, err := locks.NewFleet(locks.FleetConfig{
		BrokerURL: url, Count: n, Identity: fleetIdentity("fleet"), V5Percent: 50,
		Lock: locks.LockConfig{ConnectTimeout: waitFor, RequestTimeout: waitFor, EventResend: time.Second},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	ctx := context.Background()
	cr, err := f.Connect(ctx)
	if err != nil {
		t.Fatalf("Connect: %v (%v)", err, cr)
	}
	t.Log(cr)
	if cr.Connected != n || cr.Failed != 0 || cr.Attempts != n || cr.Latency.Count != n {
		t.Fatalf("connect report = %+v", cr)
	}
	v5 := 0
	for _, l := range f.Locks() {
		if !l.Online() {
			t.Fatalf("%s offline after Connect", l.ID())
		}
		if l.Protocol() == locks.MQTT5 {
			v5++
		}
	}
	if v5 != n/2 {
		t.Errorf("%d MQTT 5 locks, want %d", v5, n/2)
	}

	creds, err := locks.ParseCredentials("card:" + knownCard + "*2,pin:" + knownPIN + ",card:?,pin:?")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.Run(ctx, locks.Traffic{
		Rate: 300, Duration: time.Second, Credentials: creds, EventRate: 100, Seed: 7,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("%+v", rep.Latency)
	if rep.Failures() != 0 || rep.Offline != 0 {
		t.Errorf("failures = %d, offline = %d; want none", rep.Failures(), rep.Offline)
	}
	if rep.Scheduled < 250 || rep.Sent+rep.Skipped != rep.Scheduled || rep.Latency.Count != rep.Sent {
		t.Errorf("scheduled %d, sent %d, skipped %d, replies %d", rep.Scheduled, rep.Sent, rep.Skipped, rep.Latency.Count)
	}
	var byCred, byResult uint64
	for _, c := range rep.Credentials {
		byCred += c
	}
	for k, c := range rep.Results {
		if k != "granted/allowed" && k != "denied/unknown_credential" {
			t.Errorf("unexpected result %q", k)
		}
		byResult += c
	}
	if byCred != rep.Scheduled || byResult != rep.Sent || rep.Results["granted/allowed"] == 0 || rep.Results["denied/unknown_credential"] == 0 {
		t.Errorf("credentials %v, results %v", rep.Credentials, rep.Results)
	}
	if rep.EventsUnacked != 0 || rep.Events < 80 {
		t.Errorf("events %d, unacked %d", rep.Events, rep.EventsUnacked)
	}
	hub.mu.Lock()
	stored := len(hub.stored)
	hub.mu.Unlock()
	if uint64(stored) != rep.Events {
		t.Errorf("hub stored %d events, fleet generated %d", stored, rep.Events)
	}
	if st := f.Stats(); st.UnmatchedReplies != 0 || st.BadReplies != 0 || st.EventsAcked != rep.Events {
		t.Errorf("fleet stats = %+v", st)
	}
}

func TestRunOpenLoopWithOfflinePeriods(t *testing.T) {
	hub, url := startHub(t)
	var out bytes.Buffer
	rep, err := locks.Run(context.Background(), locks.Config{
		BrokerURL: url, Locks: 20, Identity: fleetIdentity("run"), V5Percent: 30,
		Rate: 100, Duration: time.Second, OpenLoop: true,
		Credentials: "card:" + knownCard + ",pin:?",
		EventRate:   40, OfflineRate: 6, OfflineFor: 150 * time.Millisecond,
		RequestTimeout: time.Second, Seed: 1, Output: &out,
	}, nil)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	if rep.Connect.Connected != 20 || rep.Traffic.Scheduled < 90 {
		t.Errorf("report = %+v", rep)
	}
	if rep.Traffic.OfflinePeriods == 0 || rep.Locks.OfflinePeriods != rep.Traffic.OfflinePeriods {
		t.Errorf("offline periods: traffic %d, locks %d", rep.Traffic.OfflinePeriods, rep.Locks.OfflinePeriods)
	}
	// Taps at an offline lock are not sent; every sent one is accounted for.
	tr := rep.Traffic
	if tr.Sent+tr.Offline != tr.Scheduled || tr.Latency.Count+tr.Latency.Errors+tr.Latency.Timeouts != tr.Sent {
		t.Errorf("traffic = %+v", tr)
	}
	if tr.EventsUnacked != 0 {
		t.Errorf("%d events unacked after the drain", tr.EventsUnacked)
	}
	for _, want := range []string{"connected 20/20 locks", "traffic (open loop)", "latency: count=", "door events:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	// The will of every dropped connection reached the hub.
	offline := 0
	hub.mu.Lock()
	for _, s := range hub.states {
		if !s.online {
			offline++
		}
	}
	hub.mu.Unlock()
	if offline == 0 {
		t.Error("no will seen for the dropped connections")
	}
	// Nothing secret in the summary.
	if strings.Contains(out.String(), knownCard) || strings.Contains(out.String(), secretOf("run-0000")) {
		t.Error("summary leaks a credential or secret")
	}
}

func TestRunValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  locks.Config
	}{
		{"no broker", locks.Config{Locks: 1, Identity: fleetIdentity("x"), Rate: 1, Duration: time.Second}},
		{"no bound", locks.Config{BrokerURL: "tcp://127.0.0.1:1", Locks: 1, Identity: fleetIdentity("x"), Rate: 1}},
		{"no locks", locks.Config{BrokerURL: "tcp://127.0.0.1:1", Identity: fleetIdentity("x"), Rate: 1, Duration: time.Second}},
		{"no identity", locks.Config{BrokerURL: "tcp://127.0.0.1:1", Locks: 1, Rate: 1, Duration: time.Second}},
		{"bad credentials", locks.Config{BrokerURL: "tcp://127.0.0.1:1", Locks: 1, Identity: fleetIdentity("x"), Rate: 1, Duration: time.Second, Credentials: "badge:1"}},
		{"bad url", locks.Config{BrokerURL: "http://x:1", Locks: 1, Identity: fleetIdentity("x"), Rate: 1, Duration: time.Second}},
		{"bad v5 percent", locks.Config{BrokerURL: "tcp://127.0.0.1:1", Locks: 1, Identity: fleetIdentity("x"), Rate: 1, Duration: time.Second, V5Percent: 101}},
	}
	for _, tt := range tests {
		if _, err := locks.Run(context.Background(), tt.cfg, nil); err == nil {
			t.Errorf("%s: Run accepted the config", tt.name)
		}
	}
}

func TestNewLockValidates(t *testing.T) {
	good := lockConfig("tcp://127.0.0.1:1883", "door-1", locks.MQTT311)
	tests := []struct {
		name string
		edit func(*locks.LockConfig)
	}{
		{"bad id", func(c *locks.LockConfig) { c.ID = "a/b" }},
		{"no secret", func(c *locks.LockConfig) { c.Secret = "" }},
		{"no key", func(c *locks.LockConfig) { c.CommandKey = nil }},
		{"foreign client id", func(c *locks.LockConfig) { c.ClientID = "door-10" }},
		{"bad protocol", func(c *locks.LockConfig) { c.Protocol = 3 }},
		{"battery", func(c *locks.LockConfig) { c.Battery = 101 }},
		{"no port", func(c *locks.LockConfig) { c.BrokerURL = "tcp://127.0.0.1" }},
	}
	if _, err := locks.NewLock(good, nil); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	for _, tt := range tests {
		c := good
		tt.edit(&c)
		_, err := locks.NewLock(c, nil)
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		if strings.Contains(err.Error(), good.Secret) {
			t.Errorf("%s: error leaks the secret", tt.name)
		}
	}
	c := good
	c.ClientID = "door-1/diag"
	if _, err := locks.NewLock(c, nil); err != nil {
		t.Errorf("client id door-1/diag refused: %v", err)
	}
	_ = wire.MaxLockIDLen
}
