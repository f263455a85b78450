package hub_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/hub"
)

// docCommands returns the shell commands of the ```sh blocks of section
// heading (up to the next heading) of docs/protocol.md, line continuations
// joined.
func docCommands(t *testing.T, heading string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "protocol.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("docs/protocol.md has no section %q", heading)
	}
	sec := doc[i+len(heading)+2:]
	if j := strings.Index(sec, "\n#"); j >= 0 {
		sec = sec[:j]
	}
	var cmds []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(sec, -1) {
		cmds = append(cmds, strings.TrimSpace(strings.ReplaceAll(m[1], "\\\n", " ")))
	}
	return cmds
}

// pickCommand returns the one command that starts with prefix and contains
// every one of subs.
func pickCommand(t *testing.T, cmds []string, prefix string, subs ...string) string {
	t.Helper()
	var found []string
	for _, c := range cmds {
		if _, ok := containsAll(c, subs...); ok && strings.HasPrefix(c, prefix) {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("docs/protocol.md: %d commands start with %q and contain %q, want 1: %q", len(found), prefix, subs, found)
	}
	return found[0]
}

// docShell runs the doc's commands with the doc's variables set for lock
// on the hub's MQTT listener (plain TCP instead of the doc's TLS).
type docShell struct {
	env []string
}

func newDocShell(h *hub.Hub, lock string) docShell {
	host, port, _ := strings.Cut(h.Broker().Addrs().TCP, ":")
	return docShell{env: []string{
		"PATH=" + os.Getenv("PATH"),
		"HUB=-h " + host + " -p " + port,
		"LOCK=" + lock,
		"SECRET=" + h.Keys().LockSecret(lock, hub.DefaultKeyGeneration),
		"T=lockhub/v1/locks/" + lock,
	}}
}

func (s docShell) command(ctx context.Context, cmd string) *exec.Cmd {
	c := exec.CommandContext(ctx, "sh", "-c", "exec "+cmd)
	c.Env = s.env
	return c
}

// subscribe starts the doc's mosquitto_sub and returns its output lines; it
// is killed at the end of the test.
func (s docShell) subscribe(t *testing.T, cmd string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := s.command(ctx, cmd)
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatalf("start mosquitto_sub: %v", err)
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cancel() // kills the mosquitto_sub this test started
		_ = c.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("mosquitto_sub stderr: %s", stderr.String())
		}
	})
	return lines
}

// publishUntil runs the doc's mosquitto_pub until a line matching want
// arrives from the subscriber (the first publish may precede the
// subscription), and returns that line.
func (s docShell) publishUntil(t *testing.T, cmd string, lines <-chan string, want func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := s.command(ctx, cmd).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("mosquitto_pub: %v: %s", err, out)
		}
		wait := time.After(500 * time.Millisecond)
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatal("mosquitto_sub exited")
				}
				if want(l) {
					return l
				}
			case <-wait:
				break read
			}
		}
	}
	t.Fatal("no matching message reached mosquitto_sub")
	return ""
}

func requireMosquitto(t *testing.T) {
	t.Helper()
	for _, bin := range []string{"mosquitto_pub", "mosquitto_sub"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not found: install mosquitto-clients (apt-get install mosquitto-clients; `make test` does) to run this test", bin)
		}
	}
}

// replyJSON decodes a reply both as the wire type and as a generic object
// (to check the exact set of members).
func replyJSON(t *testing.T, p string) (wire.AccessResponse, map[string]any) {
	t.Helper()
	var r wire.AccessResponse
	if err := wire.DecodeResponse([]byte(p), &r); err != nil {
		t.Fatalf("reply %q does not decode: %v", p, err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(p), &m); err != nil {
		t.Fatal(err)
	}
	return r, m
}

func checkMembers(t *testing.T, m map[string]any, want ...string) {
	t.Helper()
	if len(m) != len(want) {
		t.Errorf("reply members %v, want exactly %v", m, want)
	}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("reply has no %q: %v", k, m)
		}
	}
}

// TestMosquittoClients311AsDocumented runs docs/protocol.md §13.1's
// mosquitto_sub and mosquitto_pub commands, as written, against the running
// hub: the access request gets its granted reply on $T/res with the same
// id, and the door event its ack on $T/ack.
func TestMosquittoClients311AsDocumented(t *testing.T) {
	requireMosquitto(t)
	w := startWeb(t, lockSiteYAML(t.TempDir(), "process"))
	cmds := docCommands(t, "### 13.1 MQTT 3.1.1")
	sh := newDocShell(w.Hub, "front-door")
	lines := sh.subscribe(t, pickCommand(t, cmds, "mosquitto_sub ", "-t $T/res"))

	const resTopic = "lockhub/v1/locks/front-door/res "
	line := sh.publishUntil(t, pickCommand(t, cmds, "mosquitto_pub ", "-t $T/req", `"type":"card"`), lines,
		func(l string) bool { return strings.HasPrefix(l, resTopic) })
	r, m := replyJSON(t, strings.TrimPrefix(line, resTopic))
	if r.ID != "r-1042" || r.Result != wire.ResultGranted || r.Reason != "allowed" || r.UnlockMS == 0 {
		t.Errorf("reply %+v, want r-1042 granted/allowed with unlock_ms", r)
	}
	checkMembers(t, m, "v", "id", "result", "reason", "unlock_ms", "time")
	if _, ok := decisionEvent(t, w.Events(), "front-door", "r-1042"); !ok {
		t.Error("the decision is not in the event log")
	}

	const ackTopic = "lockhub/v1/locks/front-door/ack "
	line = sh.publishUntil(t, pickCommand(t, cmds, "mosquitto_pub ", "-t $T/evt"), lines,
		func(l string) bool { return strings.HasPrefix(l, ackTopic) })
	var a wire.Ack
	if err := wire.DecodeAck([]byte(strings.TrimPrefix(line, ackTopic)), &a); err != nil {
		t.Fatalf("ack %q: %v", line, err)
	}
	if a.Boot != 305419896 || a.Seq != 1 {
		t.Errorf("ack boot %d seq %d, want the event's 305419896/1", a.Boot, a.Seq)
	}
}

// TestMosquittoClients5AsDocumented runs docs/protocol.md §13.2's MQTT 5
// commands as written: the request without id, with response topic and
// correlation data, gets its reply with the same correlation data and no id.
func TestMosquittoClients5AsDocumented(t *testing.T) {
	requireMosquitto(t)
	w := startWeb(t, lockSiteYAML(t.TempDir(), "process"))
	cmds := docCommands(t, "### 13.2 MQTT 5 (response topic and correlation data)")
	sh := newDocShell(w.Hub, "front-door")
	lines := sh.subscribe(t, pickCommand(t, cmds, "mosquitto_sub -V mqttv5 ", "-t $T/res", "%D"))

	const prefix = "lockhub/v1/locks/front-door/res corr=r-1042 "
	line := sh.publishUntil(t, pickCommand(t, cmds, "mosquitto_pub -V mqttv5 ", "-D publish response-topic $T/res", "-D publish correlation-data"), lines,
		func(l string) bool { return strings.HasPrefix(l, "lockhub/v1/locks/front-door/res ") })
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("mosquitto_sub printed %q, want it to start with %q", line, prefix)
	}
	r, m := replyJSON(t, strings.TrimPrefix(line, prefix))
	if r.ID != "" || r.Result != wire.ResultGranted || r.Reason != "allowed" || r.UnlockMS == 0 {
		t.Errorf("reply %+v, want granted/allowed with unlock_ms and no id", r)
	}
	checkMembers(t, m, "v", "result", "reason", "unlock_ms", "time")
}
