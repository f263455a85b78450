package hub_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/hub"
)

// Values the web tests use; the leak test checks none of them shows up.
const (
	testViewerToken = "viewer-Tok3n-4f1c9e2a7b"
	testAdminToken  = "admin-Tok3n-9d2e8c1f0a"
	testUpstreamTok = "upstream-Tok3n-77aa01bc"
	aliceCard       = "04A1B2C3"
	aliceCardColons = "04:a1:b2:c3"
	alicePIN        = "482910"
	bobCard         = "0B0B0B0B"
)

// webYAML is a small site for the web tests: two locks, a key, two members
// and one grant, everything on 127.0.0.1 port 0, tokens in files in dir.
func webYAML(dir string, extra string) string {
	return fmt.Sprintf(`site:
  id: web-test
  data_dir: %s
domains:
  - id: hq
    name: Headquarters
    zone: Europe/Stockholm
locks:
  - id: front-door
    domain: hq
    name: Front door
  - id: back-door
    domain: hq
    name: Back door
keys:
  - id: office
    domain: hq
    name: Office hours
    locks: [front-door]
members:
  - id: alice
    domain: hq
    name: Alice Andersson
    cards: ["%s"]
    pin: "%s"
  - id: bob
    domain: hq
    name: Bob Berg
    cards: ["%s"]
grants:
  - member: alice
    key: office
mqtt:
  listeners:
    tcp:
      address: 127.0.0.1:0
http:
  address: 127.0.0.1:0
  viewer_token_file: viewer.token
  admin_token_file: admin.token
%s`, dir, aliceCard, alicePIN, bobCard, extra)
}

// testClock is an injectable clock: real time plus an offset.
type testClock struct{ off atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *testClock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type webHub struct {
	*hub.Hub
	base  string // http://127.0.0.1:port
	logs  *syncBuffer
	clock *testClock
	reg   *prometheus.Registry
}

// startWeb opens a hub on yaml (tokens written to its data dir), runs it,
// and stops it at the end of the test.
func startWeb(t *testing.T, yaml string) *webHub {
	t.Helper()
	cfg := mustLoad(t, yaml)
	for name, tok := range map[string]string{
		"viewer.token": testViewerToken, "admin.token": testAdminToken, "upstream.token": testUpstreamTok,
	} {
		if err := os.MkdirAll(cfg.Site.DataDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cfg.Site.DataDir, name), []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w := &webHub{logs: &syncBuffer{}, clock: &testClock{}, reg: prometheus.NewRegistry()}
	w.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h, err := hub.New(cfg, hub.Deps{
		Logger:     slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: w.reg,
		Now:        w.clock.Now,
	})
	if err != nil {
		t.Fatalf("hub.New: %v", err)
	}
	w.Hub = h
	w.base = "http://" + h.HTTPAddrs().Main
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		h.Close()
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(w.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub HTTP never answered: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return w
}

// get sends a GET with the given headers and returns status and body.
func (w *webHub) get(t *testing.T, path string, header ...string) (int, string, http.Header) {
	t.Helper()
	return w.send(t, http.MethodGet, path, nil, header...)
}

// postForm posts form as a browser's form would, with the given headers.
func (w *webHub) postForm(t *testing.T, path string, form url.Values, header ...string) (int, string, http.Header) {
	t.Helper()
	return w.send(t, http.MethodPost, path, form, append([]string{"Content-Type", "application/x-www-form-urlencoded"}, header...)...)
}

func (w *webHub) send(t *testing.T, method, path string, form url.Values, header ...string) (int, string, http.Header) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, w.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// lockClient is a lock speaking the real protocol over MQTT 3.1.1.
type lockClient struct {
	id  string
	c   paho.Client
	res chan wire.AccessResponse
	n   atomic.Int64
}

// connectLock connects as lock with its derived secret and subscribes to
// its res topic.
func connectLock(t *testing.T, h *hub.Hub, lock string) *lockClient {
	t.Helper()
	secret := h.Keys().LockSecret(lock, hub.DefaultKeyGeneration)
	lc := &lockClient{id: lock, res: make(chan wire.AccessResponse, 16)}
	opts := paho.NewClientOptions().AddBroker("tcp://" + h.Broker().Addrs().TCP).
		SetClientID(lock).SetUsername(lock).SetPassword(secret).
		SetAutoReconnect(false).SetConnectRetry(false).SetKeepAlive(30 * time.Second)
	lc.c = paho.NewClient(opts)
	if tok := lc.c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", lock, tok.Error())
	}
	t.Cleanup(func() { lc.c.Disconnect(100) })
	tok := lc.c.Subscribe("lockhub/v1/locks/"+lock+"/res", 1, func(_ paho.Client, m paho.Message) {
		var r wire.AccessResponse
		if err := wire.DecodeResponse(m.Payload(), &r); err == nil {
			lc.res <- r
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", lock, tok.Error())
	}
	return lc
}

// request asks the hub to open the lock with a credential and returns the
// answer.
func (lc *lockClient) request(t *testing.T, typ wire.RequestType, cred string) wire.AccessResponse {
	t.Helper()
	id := fmt.Sprintf("r%d", lc.n.Add(1))
	p := wire.AppendRequest(nil, &wire.Request{ID: id, Type: typ, Credential: cred, At: time.Now().UnixMilli()})
	if tok := lc.c.Publish("lockhub/v1/locks/"+lc.id+"/req", 1, false, p); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish request: %v", tok.Error())
	}
	select {
	case r := <-lc.res:
		if r.ID != id {
			t.Fatalf("response id %q, want %q", r.ID, id)
		}
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no response from the hub")
	}
	return wire.AccessResponse{}
}

// publishState publishes the lock's retained state.
func (lc *lockClient) publishState(t *testing.T, st wire.LockState) {
	t.Helper()
	p := wire.AppendLockState(nil, &st)
	if tok := lc.c.Publish("lockhub/v1/locks/"+lc.id+"/state", 1, true, p); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish state: %v", tok.Error())
	}
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll(t, 5*time.Second, what, cond)
}

// contains reports whether s contains every one of subs, naming the first
// missing one.
func containsAll(s string, subs ...string) (string, bool) {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return sub, false
		}
	}
	return "", true
}
