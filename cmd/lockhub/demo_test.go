package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncWriter is a goroutine-safe buffer.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestDemoRunsEverything runs lockhub demo in-process on free ports: the
// simulated locks come online and get decisions, the hub syncs both demo
// locations from the simulated Nexudus, and on stop the upstream has
// received the event log.
func TestDemoRunsEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo's first paced Nexudus sync takes several seconds")
	}
	ctx, cancel := context.WithCancel(t.Context())
	var out, errOut syncWriter
	done := make(chan int)
	go func() {
		done <- realMain(ctx, []string{"demo", "-mqtt", "127.0.0.1:0", "-http", "127.0.0.1:0",
			"-data", filepath.Join(t.TempDir(), "demo"), "-rate", "20", "-log-level", "error"}, &out, &errOut)
	}()
	urlRE := regexp.MustCompile(`status page\s+(http://\S+)/`)
	var base string
	deadline := time.Now().Add(60 * time.Second)
	for base == "" {
		if m := urlRE.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no banner; stdout %q stderr %q", out.String(), errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	type status struct {
		Locks []struct {
			ID     string `json:"id"`
			Online bool   `json:"online"`
		} `json:"locks"`
		Decisions []struct {
			Reason string `json:"reason"`
		} `json:"decisions"`
		Sync struct {
			Domains []struct {
				Domain   string    `json:"domain"`
				LastSync time.Time `json:"last_sync"`
			} `json:"domains"`
		} `json:"sync"`
	}
	var st status
	ok := func() bool {
		resp, err := http.Get(base + "/api/status")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		st = status{}
		if json.NewDecoder(resp.Body).Decode(&st) != nil {
			return false
		}
		online := 0
		for _, l := range st.Locks {
			if l.Online {
				online++
			}
		}
		synced := 0
		for _, d := range st.Sync.Domains {
			if !d.LastSync.IsZero() {
				synced++
			}
		}
		return online >= 10 && len(st.Decisions) >= 5 && synced == 2
	}
	for !ok() {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("demo not up in time: %+v\nstderr: %s", st, errOut.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("demo exit %d; stderr:\n%s", code, errOut.String())
	}
	m := regexp.MustCompile(`upstream received (\d+) events`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no upstream summary in %q", out.String())
	}
	if n, _ := strconv.Atoi(m[1]); n == 0 {
		t.Errorf("the upstream received no events: %s", m[0])
	}
	if strings.Contains(errOut.String(), "panic") {
		t.Errorf("stderr mentions a panic:\n%s", errOut.String())
	}
}

// TestDemoSaysWhenItsPortIsTaken: a busy MQTT port fails the demo at once
// with a message naming the way out.
func TestDemoSaysWhenItsPortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errOut := runMain(t, "demo", "-mqtt", ln.Addr().String(), "-http", "127.0.0.1:0",
		"-data", filepath.Join(t.TempDir(), "demo"), "-log-level", "error")
	if code != exitFailure || !strings.Contains(errOut, ln.Addr().String()) || !strings.Contains(errOut, "pick other ports") {
		t.Errorf("demo on a busy port: exit %d, stderr %q", code, errOut)
	}
}
