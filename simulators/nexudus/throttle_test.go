package nexudus_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/simulators/nexudus"
)

func TestThrottleRecovers(t *testing.T) {
	for _, status := range []int{http.StatusConflict, http.StatusTooManyRequests} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			sm := newSim(t, nexudus.Config{Limits: []nexudus.Limit{{Window: time.Minute, Max: 3}}, ThrottleStatus: status})
			for i := range 3 {
				if code, _, _ := sm.get(t, "/api/spaces/coworkers"); code != 200 {
					t.Fatalf("request %d: status %d", i, code)
				}
			}
			sm.clock.Add(20 * time.Second)
			code, h, body := sm.get(t, "/api/spaces/coworkers")
			if code != status {
				t.Fatalf("4th request: status %d, want %d", code, status)
			}
			if ra := h.Get("Retry-After"); ra != "40" {
				t.Errorf("Retry-After = %q, want 40", ra)
			}
			var res map[string]any
			if err := json.Unmarshal(body, &res); err != nil || !strings.Contains(res["Message"].(string), "must wait") {
				t.Errorf("body = %s", body)
			}
			sm.clock.Add(40 * time.Second)
			if code, _, _ := sm.get(t, "/api/spaces/coworkers"); code != 200 {
				t.Fatalf("after Retry-After: status %d, want 200", code)
			}
			if sm.Throttled() != 1 {
				t.Errorf("Throttled() = %d, want 1", sm.Throttled())
			}
			sm.SetThrottle(false)
			for range 5 {
				if code, _, _ := sm.get(t, "/api/spaces/coworkers"); code != 200 {
					t.Fatalf("throttle off: status %d", code)
				}
			}
		})
	}
}

func TestDefaultLimits(t *testing.T) {
	sm := newSim(t, nexudus.Config{Limits: nexudus.DefaultLimits()})
	// The token grant counted against the caller's address, not the client.
	if code, _, _ := sm.get(t, "/api/spaces/coworkers"); code != 200 {
		t.Fatalf("first: %d", code)
	}
	code, h, _ := sm.get(t, "/api/spaces/coworkers")
	if code != http.StatusConflict || h.Get("Retry-After") != "1" {
		t.Fatalf("second within 100 ms: status %d Retry-After %q, want 409 and 1", code, h.Get("Retry-After"))
	}
	sm.clock.Add(100 * time.Millisecond)
	if code, _, _ := sm.get(t, "/api/spaces/coworkers"); code != 200 {
		t.Fatalf("after 100 ms: %d", code)
	}
	// Writes have their own 60/min budget on top.
	sm.SetLimits([]nexudus.Limit{{Window: time.Minute, Max: 1, WritesOnly: true}})
	del := func() int {
		req, _ := http.NewRequest(http.MethodDelete, sm.url+"/api/spaces/bookings/1", nil)
		req.Header.Set("Authorization", "Bearer "+sm.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := del(); c != http.StatusNotFound {
		t.Errorf("first write: %d, want 404 (no such booking)", c)
	}
	if c := del(); c != http.StatusConflict {
		t.Errorf("second write: %d, want 409", c)
	}
	if code, _, _ := sm.get(t, "/api/spaces/coworkers"); code != 200 {
		t.Errorf("read after write budget is spent: %d, want 200", code)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name    string
		fault   nexudus.Fault
		timeout time.Duration
		check   func(t *testing.T, resp *http.Response, err error)
	}{
		{"status", nexudus.Fault{Kind: nexudus.FaultStatus, Status: 502, Times: 1}, 0, func(t *testing.T, resp *http.Response, err error) {
			if err != nil || resp.StatusCode != 502 {
				t.Fatalf("got %v %v, want 502", resp, err)
			}
		}},
		{"default status", nexudus.Fault{Kind: nexudus.FaultStatus, Times: 1}, 0, func(t *testing.T, resp *http.Response, err error) {
			if err != nil || resp.StatusCode != 503 {
				t.Fatalf("got %v %v, want 503", resp, err)
			}
		}},
		{"slow beats client timeout", nexudus.Fault{Kind: nexudus.FaultSlow, Delay: 2 * time.Second, Times: 1}, 50 * time.Millisecond, func(t *testing.T, resp *http.Response, err error) {
			if !isTimeout(err) {
				t.Fatalf("got %v %v, want a client timeout", resp, err)
			}
		}},
		{"slow then served", nexudus.Fault{Kind: nexudus.FaultSlow, Delay: 10 * time.Millisecond, Times: 1}, 0, func(t *testing.T, resp *http.Response, err error) {
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("got %v %v, want 200", resp, err)
			}
		}},
		{"hang", nexudus.Fault{Kind: nexudus.FaultHang, Times: 1}, 50 * time.Millisecond, func(t *testing.T, resp *http.Response, err error) {
			if !isTimeout(err) {
				t.Fatalf("got %v %v, want a client timeout", resp, err)
			}
		}},
		{"hang bounded", nexudus.Fault{Kind: nexudus.FaultHang, Delay: 20 * time.Millisecond, Times: 1}, 0, func(t *testing.T, resp *http.Response, err error) {
			if err != nil || resp.StatusCode != http.StatusGatewayTimeout {
				t.Fatalf("got %v %v, want 504", resp, err)
			}
		}},
		{"bad json", nexudus.Fault{Kind: nexudus.FaultBadJSON, Times: 1}, 0, func(t *testing.T, resp *http.Response, err error) {
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("got %v %v", resp, err)
			}
			var v any
			if json.NewDecoder(resp.Body).Decode(&v) == nil {
				t.Fatal("body decoded; want broken JSON")
			}
		}},
		{"drop", nexudus.Fault{Kind: nexudus.FaultDrop, Times: 1}, 0, func(t *testing.T, resp *http.Response, err error) {
			if err == nil {
				t.Fatalf("got %v, want a transport error", resp.Status)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm := newSim(t, nexudus.Config{MaxHang: 5 * time.Second})
			sm.SetFaults(tc.fault, nexudus.Fault{Kind: nexudus.FaultStatus, Path: "/api/billing/"})
			// A fresh transport: on a reused connection Go retries a dropped GET.
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			client := &http.Client{Timeout: tc.timeout, Transport: tr}
			req, _ := http.NewRequest(http.MethodGet, sm.url+"/api/spaces/coworkers", nil)
			req.Header.Set("Authorization", "Bearer "+sm.token)
			resp, err := client.Do(req)
			tc.check(t, resp, err)
			if resp != nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if sm.FaultHits() != 1 {
				t.Errorf("FaultHits = %d, want 1", sm.FaultHits())
			}
			// Times: 1 retired the rule; the billing-only rule does not match.
			if code, _, _ := sm.get(t, "/api/spaces/coworkers"); code != 200 {
				t.Errorf("next request: %d, want 200", code)
			}
			if code, _, _ := sm.get(t, "/api/billing/timepasses"); code != 503 {
				t.Errorf("billing path: %d, want 503 from the path rule", code)
			}
			sm.ClearFaults()
			if code, _, _ := sm.get(t, "/api/billing/timepasses"); code != 200 {
				t.Errorf("after ClearFaults: %d, want 200", code)
			}
			faulted := 0
			for _, rec := range sm.RequestLog() {
				if rec.Fault == tc.fault.Kind.String() {
					faulted++
				}
			}
			if want := map[bool]int{true: 2, false: 1}[tc.fault.Kind == nexudus.FaultStatus]; faulted != want {
				t.Errorf("request log has %d records with fault %s, want %d", faulted, tc.fault.Kind, want)
			}
		})
	}
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return err != nil && (errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded))
}
