package nexudus_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/simulators/nexudus"
)

// FuzzListQuery throws arbitrary query strings at a list endpoint: the fake
// must answer 200 with a consistent envelope (or a bare array for a batch),
// or 400 with the error envelope; never panic or 5xx.
func FuzzListQuery(f *testing.F) {
	s := nexudus.New(nexudus.Config{ThrottleOff: true, Now: func() time.Time { return t0 }})
	if err := s.SeedScale(t0, 40); err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	f.Add("page=2&size=3&orderBy=FromTime&dir=-1")
	f.Fuzz(func(t *testing.T, q string) {
		req := httptest.NewRequest(http.MethodGet, "/api/spaces/bookings", nil)
		req.URL.RawQuery = q
		req.SetBasicAuth("admin@example.org", "secret")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		switch rec.Code {
		case http.StatusOK:
			if strings.HasPrefix(string(body), "[") {
				var arr []map[string]any
				if err := json.Unmarshal(body, &arr); err != nil {
					t.Fatalf("batch answer is not an array: %v", err)
				}
				return
			}
			var env envelope
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatalf("envelope: %v", err)
			}
			if len(env.Records) > env.CurrentPageSize || env.TotalItems > 80 || env.CurrentPage < 1 {
				t.Fatalf("inconsistent envelope: %d records, %+v", len(env.Records), env)
			}
			if env.HasNextPage != (env.LastItem < env.TotalItems && len(env.Records) > 0) {
				t.Fatalf("HasNextPage %v with LastItem %d of %d", env.HasNextPage, env.LastItem, env.TotalItems)
			}
		case http.StatusBadRequest:
			var res map[string]any
			if err := json.Unmarshal(body, &res); err != nil || res["WasSuccessful"] != false {
				t.Fatalf("400 without the error envelope: %s", body)
			}
		default:
			t.Fatalf("status %d for %q", rec.Code, q)
		}
	})
}

// FuzzTokenForm throws arbitrary form bodies at the token endpoint.
func FuzzTokenForm(f *testing.F) {
	s := nexudus.New(nexudus.Config{ThrottleOff: true})
	h := s.Handler()
	f.Add("grant_type=password&username=admin%40example.org&password=secret")
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/api/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("answer is not JSON: %q", rec.Body.String())
		}
		switch rec.Code {
		case http.StatusOK:
			if m["access_token"] == nil || m["refresh_token"] == nil {
				t.Fatalf("200 without tokens: %v", m)
			}
		case http.StatusBadRequest:
			if m["error"] == nil {
				t.Fatalf("400 without error: %v", m)
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}
