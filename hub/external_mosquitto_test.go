package hub_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// mosquittoBin finds the Debian mosquitto binary (make deps installs it);
// the test is skipped only when it is missing.
func mosquittoBin(tb testing.TB) string {
	tb.Helper()
	for _, p := range []string{"mosquitto", "/usr/sbin/mosquitto"} {
		if path, err := exec.LookPath(p); err == nil {
			if _, err := exec.LookPath("mosquitto_passwd"); err != nil {
				tb.Skip("mosquitto_passwd not installed (Debian package mosquitto; make deps)")
			}
			return path
		}
	}
	tb.Skip("mosquitto not installed (Debian package mosquitto; make deps)")
	return ""
}

// freePort returns a loopback port that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// mosquittoACL is the broker side of lockhub's rules: each lock (username =
// lock id) only its own topics, the hub user the whole tree (req and evt
// through $share) and the hub-to-hub topics. docs/scale-out.md shows it.
const mosquittoACL = `# hubs
user %s
topic readwrite lockhub/v1/#

# every lock, by its username
pattern write lockhub/v1/locks/%%u/req
pattern write lockhub/v1/locks/%%u/evt
pattern readwrite lockhub/v1/locks/%%u/state
pattern read lockhub/v1/locks/%%u/res
pattern read lockhub/v1/locks/%%u/ack
pattern read lockhub/v1/locks/%%u/cmd
`

// startMosquitto runs a private mosquitto on a free loopback port with a
// hashed password file for users (name -> password) and the ACL above for
// hubUser. It returns the tcp:// URL; the broker is stopped at cleanup.
func startMosquitto(tb testing.TB, hubUser string, users map[string]string) string {
	tb.Helper()
	url, _ := startMosquittoWith(tb, hubUser, users, nil)
	return url
}

// mosquittoTLS is a TLS listener's files; startMosquittoWith adds the
// listener on another free port and returns its ssl:// URL.
type mosquittoTLS struct{ CAFile, CertFile, KeyFile string }

func startMosquittoWith(tb testing.TB, hubUser string, users map[string]string, tlsFiles *mosquittoTLS) (url, tlsURL string) {
	tb.Helper()
	bin := mosquittoBin(tb)
	dir := tb.TempDir()
	names := make([]string, 0, len(users))
	for n := range users {
		names = append(names, n)
	}
	sort.Strings(names)
	var pw strings.Builder
	for _, n := range names {
		fmt.Fprintf(&pw, "%s:%s\n", n, users[n])
	}
	pwFile := filepath.Join(dir, "passwd")
	if err := os.WriteFile(pwFile, []byte(pw.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command("mosquitto_passwd", "-U", pwFile).CombinedOutput(); err != nil {
		tb.Fatalf("mosquitto_passwd -U: %v: %s", err, out)
	}
	aclFile := filepath.Join(dir, "acl")
	if err := os.WriteFile(aclFile, []byte(fmt.Sprintf(mosquittoACL, hubUser)), 0o600); err != nil {
		tb.Fatal(err)
	}
	port := freePort(tb)
	// Run as root, mosquitto would switch to user mosquitto and not read
	// the 0600 files of this test: keep the current user.
	me := "mosquitto"
	if u, err := user.Current(); err == nil {
		me = u.Username
	}
	conf := fmt.Sprintf(`user %s
listener %d 127.0.0.1
allow_anonymous false
password_file %s
acl_file %s
persistence false
max_queued_messages 100000
max_inflight_messages 0
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
`, me, port, pwFile, aclFile)
	tlsPort := 0
	if tlsFiles != nil {
		tlsPort = freePort(tb)
		conf += fmt.Sprintf("listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\n",
			tlsPort, tlsFiles.CAFile, tlsFiles.CertFile, tlsFiles.KeyFile)
	}
	confFile := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-c", confFile)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start mosquitto: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if tb.Failed() && stderr.Len() > 0 {
			tb.Logf("mosquitto stderr:\n%s", stderr.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			if tlsPort != 0 {
				return "tcp://" + addr, fmt.Sprintf("ssl://127.0.0.1:%d", tlsPort)
			}
			return "tcp://" + addr, ""
		}
		select {
		case <-done:
			tb.Fatalf("mosquitto exited: %s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mosquitto not listening on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
