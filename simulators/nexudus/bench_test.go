package nexudus_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lockhub/lockhub/simulators/nexudus"
)

// BenchmarkSeedScale measures building the benchmark tenant (10,000
// customers, 20,000 bookings, 5,000 passes, 2,000 contracts).
func BenchmarkSeedScale(b *testing.B) {
	for b.Loop() {
		s := nexudus.New(nexudus.Config{ThrottleOff: true})
		if err := s.SeedScale(t0, 10000); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListBookings measures one filtered, sorted page of bookings over
// real HTTP on the scale tenant, throttle off.
func BenchmarkListBookings(b *testing.B) {
	s := nexudus.New(nexudus.Config{ThrottleOff: true, Now: func() time.Time { return t0 }})
	if err := s.SeedScale(t0, 10000); err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	for _, bc := range []struct{ name, query string }{
		{"page", "?page=3&size=100"},
		{"range_sorted", "?from_Booking_FromTime=2025-03-05T00:00&to_Booking_FromTime=2025-03-06T00:00&orderBy=FromTime&dir=-1&size=100"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req, _ := http.NewRequest(http.MethodGet, hs.URL+"/api/spaces/bookings"+bc.query, nil)
			req.SetBasicAuth("admin@example.org", "secret")
			for b.Loop() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
