package nexudus_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/lockhub/lockhub/simulators/nexudus"
)

func TestSeedDemo(t *testing.T) {
	a := newSim(t, nexudus.Config{Seed: 7})
	b := newSim(t, nexudus.Config{Seed: 7})
	must(t, a.SeedDemo(t0))
	must(t, b.SeedDemo(t0))
	_, _, ja := a.get(t, "/api/spaces/coworkers?size=1000")
	_, _, jb := b.get(t, "/api/spaces/coworkers?size=1000")
	if !bytes.Equal(ja, jb) {
		t.Error("same seed, different coworkers")
	}
	cws := a.listAll(t, "/api/spaces/coworkers?size=100")
	if len(cws) != 200 {
		t.Fatalf("%d coworkers, want 200", len(cws))
	}
	var archived, inactive, multi, pins int
	multiRE := regexp.MustCompile(`[,; ]`)
	for _, c := range cws {
		if c["Archived"] == true {
			archived++
		}
		if c["Active"] == false {
			inactive++
		}
		if s, ok := c["AccessCardId"].(string); ok && multiRE.MatchString(s) {
			multi++
		}
		if c["AccessPincode"] != nil {
			pins++
		}
	}
	if archived != 1 || inactive != 1 || multi < 10 || pins < 100 {
		t.Errorf("archived %d inactive %d multi-card %d pins %d", archived, inactive, multi, pins)
	}
	for path, min := range map[string]int{
		"/api/spaces/bookings?from_Booking_FromTime=2025-03-04T00:00&to_Booking_FromTime=2025-03-04T23:59": 5,
		"/api/spaces/bookings?Booking_Tentative=true":                                                      2,
		"/api/spaces/cancelledbookings":                                                                    3,
		"/api/billing/coworkertimepasses?CoworkerTimePass_Used=false":                                      20,
		"/api/billing/coworkercontracts?CoworkerContract_Active=true":                                      20,
		"/api/billing/coworkercontracts?from_CoworkerContract_CancellationDate=2025-03-05T00:00":           3,
		"/api/spaces/resources": 9,
	} {
		if n := a.list(t, path).TotalItems; n < min {
			t.Errorf("%s: %d records, want at least %d", path, n, min)
		}
	}
	if n := len(a.AccessGroups()); n < 12 {
		t.Errorf("%d access groups, want about a dozen", n)
	}
}

func TestSeedScaleSmall(t *testing.T) {
	sm := newSim(t, nexudus.Config{})
	must(t, sm.SeedScale(t0, 500))
	for path, want := range map[string]int{
		"/api/spaces/coworkers": 500, "/api/spaces/bookings": 1000,
		"/api/billing/coworkertimepasses": 250, "/api/billing/coworkercontracts": 100,
	} {
		if n := sm.list(t, path).TotalItems; n != want {
			t.Errorf("%s: %d, want %d", path, n, want)
		}
	}
}

func TestServe(t *testing.T) {
	s := nexudus.New(nexudus.Config{ThrottleOff: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, nil) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/api/spaces/coworkers")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unauthenticated GET: %d, want 401", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}
