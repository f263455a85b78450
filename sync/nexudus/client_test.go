package nexudus_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/sync/nexudus"
)

func TestThrottleHonoursRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults []fault
		want   []time.Duration
	}{
		{"409 with Retry-After", []fault{{409, "7"}}, []time.Duration{7 * time.Second}},
		{"429 with Retry-After", []fault{{429, "3"}}, []time.Duration{3 * time.Second}},
		{"409 then 429", []fault{{409, "1"}, {429, "4"}}, []time.Duration{time.Second, 4 * time.Second}},
		{"no header: 2 s, then growing", []fault{{409, ""}, {409, ""}}, []time.Duration{2 * time.Second, 4 * time.Second}},
		{"capped at 60 s", []fault{{409, "600"}}, []time.Duration{60 * time.Second}},
		{"HTTP date", []fault{{429, "Tue, 04 Mar 2025 09:00:30 GMT"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeNexudus(t)
			f.set(nexudus.PathCoworkers, coworkerRecs(2))
			clk := newFakeClock()
			c := f.client(t, clk, nexudus.Config{})
			f.addFaults(tc.faults...)
			got, err := c.ListCoworkers(t.Context(), nexudus.Query{})
			if err != nil {
				t.Fatalf("ListCoworkers: %v", err)
			}
			if len(got) != 2 {
				t.Fatalf("got %d coworkers, want 2", len(got))
			}
			s := clk.Slept()
			if tc.want == nil { // an HTTP date: 30 s from the fake start, less the budget waits
				if len(s) != 1 || s[0] > 30*time.Second || s[0] < 29*time.Second {
					t.Fatalf("slept %v, want about 30s", s)
				}
			} else if !slices.Equal(s, tc.want) {
				t.Fatalf("slept %v, want %v", s, tc.want)
			}
			if n := len(f.calls()); n != len(tc.faults)+1 {
				t.Fatalf("API calls = %d, want %d", n, len(tc.faults)+1)
			}
		})
	}
}

func TestThrottleGivesUpAfterMaxRetries(t *testing.T) {
	f := newFakeNexudus(t)
	f.set(nexudus.PathCoworkers, nil)
	for range 10 {
		f.addFaults(fault{409, "1"})
	}
	clk := newFakeClock()
	c := f.client(t, clk, nexudus.Config{MaxRetries: 3})
	_, err := c.ListCoworkers(t.Context(), nexudus.Query{})
	if !errors.Is(err, nexudus.ErrThrottled) {
		t.Fatalf("error = %v, want ErrThrottled", err)
	}
	if n := len(f.calls()); n != 4 {
		t.Fatalf("API calls = %d, want 4 (1 + MaxRetries)", n)
	}
}

func TestServerErrorsBackOff(t *testing.T) {
	f := newFakeNexudus(t)
	f.set(nexudus.PathCoworkers, coworkerRecs(1))
	f.addFaults(fault{500, ""}, fault{502, ""}, fault{503, ""})
	clk := newFakeClock()
	c := f.client(t, clk, nexudus.Config{})
	if _, err := c.ListCoworkers(t.Context(), nexudus.Query{}); err != nil {
		t.Fatalf("ListCoworkers: %v", err)
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}
	if s := clk.Slept(); !slices.Equal(s, want) {
		t.Fatalf("slept %v, want growing backoff %v", s, want)
	}
}

func TestServerErrorsJitter(t *testing.T) {
	f := newFakeNexudus(t)
	f.set(nexudus.PathCoworkers, coworkerRecs(1))
	f.addFaults(fault{500, ""})
	clk := newFakeClock()
	c := f.client(t, clk, nexudus.Config{Backoff: backoffWithJitter(func() float64 { return 0.99 })})
	if _, err := c.ListCoworkers(t.Context(), nexudus.Query{}); err != nil {
		t.Fatal(err)
	}
	if s := clk.Slept(); len(s) != 1 || s[0] != 2980*time.Millisecond {
		t.Fatalf("slept %v, want [2.98s] (2 s × 1.49)", s)
	}
}

func TestServerErrorsGiveUp(t *testing.T) {
	f := newFakeNexudus(t)
	f.set(nexudus.PathCoworkers, nil)
	for range 5 {
		f.addFaults(fault{500, ""})
	}
	c := f.client(t, newFakeClock(), nexudus.Config{MaxRetries: 2})
	_, err := c.ListCoworkers(t.Context(), nexudus.Query{})
	if !errors.Is(err, nexudus.ErrServer) {
		t.Fatalf("error = %v, want ErrServer", err)
	}
	if n := len(f.calls()); n != 3 {
		t.Fatalf("API calls = %d, want 3", n)
	}
}

func TestPerRequestTimeout(t *testing.T) {
	f := newFakeNexudus(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.raw[nexudus.PathCoworkers] = func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
	clk := newFakeClock()
	c := f.client(t, clk, nexudus.Config{Timeout: 50 * time.Millisecond, MaxRetries: 1})
	start := time.Now()
	_, err := c.ListCoworkers(t.Context(), nexudus.Query{})
	if !errors.Is(err, nexudus.ErrServer) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want ErrServer wrapping DeadlineExceeded", err)
	}
	if n := len(f.calls()); n != 2 {
		t.Fatalf("attempts = %d, want 2 (timeout, one retry)", n)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("timeout did not bound the attempts")
	}
}

func TestCallerContextEndsRetries(t *testing.T) {
	f := newFakeNexudus(t)
	f.set(nexudus.PathCoworkers, nil)
	f.addFaults(fault{409, "5"}, fault{409, "5"})
	ctx, cancel := context.WithCancel(t.Context())
	clk := newFakeClock()
	var cfg nexudus.Config
	cfg.Backoff.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel() // the caller gives up while the client waits out Retry-After
		<-ctx.Done()
		return ctx.Err()
	}
	_, err := f.client(t, clk, cfg).ListCoworkers(ctx, nexudus.Query{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if n := len(f.calls()); n != 1 {
		t.Fatalf("attempts = %d, want 1", n)
	}
}

func TestOversizePage(t *testing.T) {
	big := `{"Records":[{"Id":1,"FullName":"` + strings.Repeat("x", 4096) + `"}],"HasNextPage":false}`
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"content-length", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, big) }},
		{"chunked", func(w http.ResponseWriter, _ *http.Request) {
			for i := 0; i < len(big); i += 512 {
				io.WriteString(w, big[i:min(i+512, len(big))])
				w.(http.Flusher).Flush()
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeNexudus(t)
			f.raw[nexudus.PathCoworkers] = tc.handler
			c := f.client(t, newFakeClock(), nexudus.Config{MaxResponseBytes: 1024})
			_, err := c.ListCoworkers(t.Context(), nexudus.Query{})
			var tl *nexudus.TooLargeError
			if !errors.Is(err, nexudus.ErrTooLarge) || !errors.As(err, &tl) || tl.Limit != 1024 {
				t.Fatalf("error = %v, want a TooLargeError with limit 1024", err)
			}
			if n := len(f.calls()); n != 1 {
				t.Fatalf("attempts = %d, want 1 (an oversize page is not retried)", n)
			}
		})
	}
}

func TestBadJSONNamesEntityAndField(t *testing.T) {
	const secret = "04SECRETCARD99"
	for _, tc := range []struct {
		name, path, body   string
		list               func(*nexudus.Client) error
		entity, field, got string
	}{
		{"bool as string", nexudus.PathCoworkers, `{"Records":[{"Id":1,"Active":"yes"}],"HasNextPage":false}`,
			listCoworkers, "Coworker", "Active", "string"},
		{"card as object", nexudus.PathCoworkers, `{"Records":[{"Id":1,"AccessCardId":{"v":"` + secret + `"}}],"HasNextPage":false}`,
			listCoworkers, "Coworker", "AccessCardId", "object"},
		{"bad timestamp", nexudus.PathBookings, `{"Records":[{"Id":1,"FromTime":"next tuesday ` + secret + `"}],"HasNextPage":false}`,
			listBookings, "Booking", "FromTime", "string"},
		{"id as float", nexudus.PathBookings, `{"Records":[{"Id":1.5}],"HasNextPage":false}`,
			listBookings, "Booking", "Id", "number"},
		{"missing Records", nexudus.PathCoworkers, `{"HasNextPage":false}`, listCoworkers, "Coworker", "Records", "nothing"},
		{"bare array", nexudus.PathCoworkers, `[{"Id":1}]`, listCoworkers, "Coworker", "", "array"},
		{"garbage", nexudus.PathCoworkers, `<html>` + secret, listCoworkers, "Coworker", "", ""},
		{"truncated", nexudus.PathCoworkers, `{"Records":[{"Id":1,`, listCoworkers, "Coworker", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeNexudus(t)
			body := tc.body
			f.raw[tc.path] = func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) }
			err := tc.list(f.client(t, newFakeClock(), nexudus.Config{}))
			var de *nexudus.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error = %v, want a DecodeError", err)
			}
			if de.Entity != tc.entity || de.Field != tc.field || de.Got != tc.got {
				t.Fatalf("DecodeError = %+v, want entity %q field %q got %q", de, tc.entity, tc.field, tc.got)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q leaks the value", err)
			}
		})
	}
}

func listCoworkers(c *nexudus.Client) error {
	_, err := c.ListCoworkers(context.Background(), nexudus.Query{})
	return err
}

func listBookings(c *nexudus.Client) error {
	_, err := c.ListBookings(context.Background(), nexudus.Query{})
	return err
}

func TestUnknownFieldsAreIgnored(t *testing.T) {
	f := newFakeNexudus(t)
	f.raw[nexudus.PathCoworkers] = func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"Records":[{"Id":5,"FullName":"Ana","NewField2026":{"a":[1,2]},"Teams":null}],
			"CurrentSortDirection":"ASC","HasNextPage":false,"PageNumber":1}`)
	}
	got, err := f.client(t, newFakeClock(), nexudus.Config{}).ListCoworkers(t.Context(), nexudus.Query{})
	if err != nil || len(got) != 1 || got[0].FullName != "Ana" {
		t.Fatalf("ListCoworkers = %+v, %v; want Ana", got, err)
	}
}

func TestOtherClientErrorsAreNotRetried(t *testing.T) {
	f := newFakeNexudus(t)
	f.raw[nexudus.PathCoworkers] = func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(400)
		io.WriteString(w, `{"Status":400,"Message":"page: must be positive","WasSuccessful":false}`)
	}
	_, err := f.client(t, newFakeClock(), nexudus.Config{}).ListCoworkers(t.Context(), nexudus.Query{})
	var api *nexudus.APIError
	if !errors.As(err, &api) || api.Status != 400 || api.Message != "page: must be positive" {
		t.Fatalf("error = %v, want a 400 APIError with the server's message", err)
	}
	if n := len(f.calls()); n != 1 {
		t.Fatalf("attempts = %d, want 1", n)
	}
}

func TestRequestBudget(t *testing.T) {
	f := newFakeNexudus(t)
	clk := newFakeClock()
	var at []time.Time
	f.raw["/api/sys/simpletimezones/1"] = func(w http.ResponseWriter, _ *http.Request) {
		at = append(at, clk.Now()) // handlers run one at a time: the client is sequential here
		io.WriteString(w, `{"Id":1}`)
	}
	// Published limits (Q14): 80/min sustained, at most 8 per second.
	c := f.client(t, clk, nexudus.Config{RequestsPerMinute: 80, Burst: 8, WritesPerSecond: 1})
	const n = 100
	start := clk.Now()
	for range n {
		if _, err := c.GetTimeZone(t.Context(), "1"); err != nil {
			t.Fatal(err)
		}
	}
	// The token request is one of the budget's requests too.
	elapsed := clk.Now().Sub(start)
	lo := time.Duration(float64(n+1-8) / (80.0 / 60) * float64(time.Second))
	if elapsed < lo-10*time.Millisecond || elapsed > lo+2*time.Second {
		t.Fatalf("%d requests took %v of fake time, want about %v (80/min after a burst of 8)", n, elapsed, lo)
	}
	for i := range at {
		j := i
		for j < len(at) && at[j].Sub(at[i]) < time.Second {
			j++
		}
		if j-i > 8 {
			t.Fatalf("%d requests within 1 s from request %d, want at most 8", j-i, i)
		}
		k := i
		for k < len(at) && at[k].Sub(at[i]) < time.Minute {
			k++
		}
		if k-i > 88 {
			t.Fatalf("%d requests within 1 min from request %d, want at most 80 + the burst", k-i, i)
		}
	}
}

func TestPostCheckin(t *testing.T) {
	for _, tc := range []struct {
		mode nexudus.TimeMode
		want string
	}{
		{nexudus.TimeModeUTC, "2025-03-04T08:44:10Z"},
		{nexudus.TimeModeWallclock, "2025-03-04T09:44:10"},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			f := newFakeNexudus(t)
			clk := newFakeClock()
			c := f.client(t, clk, nexudus.Config{TimeMode: tc.mode, Location: mustZone(t, "Europe/Paris"), WritesPerSecond: 1})
			at := time.Date(2025, 3, 4, 8, 44, 10, 0, time.UTC)
			id, err := c.PostCheckin(t.Context(), 2201, 88412, at)
			if err != nil || id != 7731 {
				t.Fatalf("PostCheckin = %d, %v; want 7731", id, err)
			}
			f.mu.Lock()
			body := f.checkins[0]
			f.mu.Unlock()
			if body["Source"] != float64(2) || body["BusinessId"] != float64(2201) || body["CoworkerId"] != float64(88412) || body["FromTime"] != tc.want {
				t.Fatalf("checkin body = %v, want Source 2 (DoorAccess), ids and FromTime %s", body, tc.want)
			}
			before := clk.Now()
			if _, err := c.PostCheckin(t.Context(), 2201, 88412, at); err != nil {
				t.Fatal(err)
			}
			if d := clk.Now().Sub(before); d < 900*time.Millisecond {
				t.Fatalf("second write came %v after the first, want the 1/s write budget", d)
			}
		})
	}
}

func TestPostCheckinFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    error
		calls   int
	}{
		{"200 but not successful", func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, `{"Status":400,"Message":"No valid pass","WasSuccessful":false,"Errors":[{"PropertyName":"CoworkerId","Message":"no pass","AttemptedValue":"4041"}]}`)
		}, nexudus.ErrWriteFailed, 1},
		{"5xx is not retried", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(502) }, nexudus.ErrServer, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeNexudus(t)
			f.raw[nexudus.PathCheckins] = tc.handler
			_, err := f.client(t, newFakeClock(), nexudus.Config{}).PostCheckin(t.Context(), 1, 2, time.Now())
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "4041") {
				t.Fatalf("error %q echoes AttemptedValue", err)
			}
			if n := len(f.calls()); n != tc.calls {
				t.Fatalf("attempts = %d, want %d", n, tc.calls)
			}
		})
	}
}

func TestPostCheckinThrottledIsRetried(t *testing.T) {
	f := newFakeNexudus(t)
	f.addFaults(fault{409, "2"})
	clk := newFakeClock()
	if _, err := f.client(t, clk, nexudus.Config{}).PostCheckin(t.Context(), 1, 2, time.Now()); err != nil {
		t.Fatalf("PostCheckin: %v", err)
	}
	if s := clk.Slept(); !slices.Contains(s, 2*time.Second) {
		t.Fatalf("slept %v, want the 2 s Retry-After", s)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg  nexudus.Config
		want string
	}{
		{nexudus.Config{BaseURL: "ftp://x", Username: "u", Password: "pw-SECRET"}, "base_url"},
		{nexudus.Config{BaseURL: "not a url", Username: "u", Password: "pw-SECRET"}, "base_url"},
		{nexudus.Config{Password: "pw-SECRET"}, "username"},
		{nexudus.Config{Username: "u"}, "password"},
		{nexudus.Config{Username: "u", Password: "pw-SECRET", Timeout: -1}, "timeout"},
		{nexudus.Config{Username: "u", Password: "pw-SECRET", Burst: -1}, "burst"},
	} {
		_, err := nexudus.New(tc.cfg, nil, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) error = %v, want it to name %s", tc.cfg, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), tc.cfg.Password) && tc.cfg.Password != "" {
			t.Errorf("error %q leaks the password", err)
		}
	}
}

func TestBaseURLWithAPISuffix(t *testing.T) {
	f := newFakeNexudus(t)
	f.set(nexudus.PathCoworkers, coworkerRecs(1))
	clk := newFakeClock()
	c, err := nexudus.New(nexudus.Config{BaseURL: f.srv.URL + "/api/", Username: f.username, Password: f.password,
		Now: clk.Now, Sleep: clk.Sleep}, f.srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListCoworkers(t.Context(), nexudus.Query{}); err != nil {
		t.Fatalf("ListCoworkers with base URL .../api/: %v", err)
	}
}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}
