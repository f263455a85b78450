package nexudus_test

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockhub/lockhub/sync/nexudus"
)

func TestPasswordGrantIsFormEncodedWithClientID(t *testing.T) {
	f := newFakeNexudus(t)
	f.set(nexudus.PathCoworkers, coworkerRecs(3))
	c := f.client(t, newFakeClock(), nexudus.Config{ClientID: "0b6f-hub"})
	got, err := c.ListCoworkers(t.Context(), nexudus.Query{})
	if err != nil {
		t.Fatalf("ListCoworkers: %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d coworkers, want 3", len(got))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.grants) != 1 {
		t.Fatalf("token requests = %d, want 1", len(f.grants))
	}
	g := f.grants[0]
	for k, want := range map[string]string{
		"grant_type": "password", "username": f.username, "password": f.password, "client_id": "0b6f-hub",
	} {
		if g.Get(k) != want {
			t.Errorf("token form %s = %q, want %q", k, g.Get(k), want)
		}
	}
}

func TestRefreshAtHalfOfExpiresIn(t *testing.T) {
	f := newFakeNexudus(t)
	f.expiresIn = 100
	f.set(nexudus.PathTimeZones, nil)
	f.raw["/api/sys/simpletimezones/7"] = func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"Id":7,"Name":"GMT","TimeOffset":"+00:00","UsesSummerTime":true}`)
	}
	clk := newFakeClock()
	c := f.client(t, clk, nexudus.Config{ClientID: "hub-1"})
	get := func() {
		t.Helper()
		if _, err := c.GetTimeZone(t.Context(), "7"); err != nil {
			t.Fatalf("GetTimeZone: %v", err)
		}
	}
	get()
	clk.Advance(49 * time.Second)
	get()
	if got := f.grantTypes(); !slices.Equal(got, []string{"password"}) {
		t.Fatalf("grants before half-life = %v, want [password]", got)
	}
	clk.Advance(2 * time.Second) // 51 s: past half of expires_in
	get()
	if got := f.grantTypes(); !slices.Equal(got, []string{"password", "refresh_token"}) {
		t.Fatalf("grants after half-life = %v, want [password refresh_token]", got)
	}
	f.mu.Lock()
	rf := f.grants[1]
	f.mu.Unlock()
	if rf.Get("refresh_token") != "rt-1" || rf.Get("client_id") != "hub-1" {
		t.Fatalf("refresh form = %v, want refresh_token rt-1 and client_id hub-1", rf)
	}
	if calls := f.calls(); calls[len(calls)-1].status != 200 {
		t.Fatalf("last call status %d, want 200", calls[len(calls)-1].status)
	}
}

func TestUnauthorizedRefreshesAndRetries(t *testing.T) {
	f := newFakeNexudus(t)
	f.set(nexudus.PathCoworkers, coworkerRecs(2))
	c := f.client(t, newFakeClock(), nexudus.Config{})
	if _, err := c.ListCoworkers(t.Context(), nexudus.Query{}); err != nil {
		t.Fatal(err)
	}
	f.revokeAccess() // e.g. the server expired it early (§3.1: do not trust expires_in)
	got, err := c.ListCoworkers(t.Context(), nexudus.Query{})
	if err != nil {
		t.Fatalf("ListCoworkers after revocation: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d coworkers, want 2", len(got))
	}
	if g := f.grantTypes(); !slices.Equal(g, []string{"password", "refresh_token"}) {
		t.Fatalf("grants = %v, want [password refresh_token]", g)
	}
	var statuses []int
	for _, call := range f.calls() {
		statuses = append(statuses, call.status)
	}
	if !slices.Equal(statuses, []int{200, 401, 200}) {
		t.Fatalf("API statuses = %v, want [200 401 200]", statuses)
	}
}

func TestFailedRefreshFallsBackToPasswordGrant(t *testing.T) {
	f := newFakeNexudus(t)
	f.set(nexudus.PathCoworkers, coworkerRecs(1))
	c := f.client(t, newFakeClock(), nexudus.Config{})
	if _, err := c.ListCoworkers(t.Context(), nexudus.Query{}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.failRefresh = true
	f.mu.Unlock()
	f.revokeAccess()
	if _, err := c.ListCoworkers(t.Context(), nexudus.Query{}); err != nil {
		t.Fatalf("ListCoworkers: %v", err)
	}
	if g := f.grantTypes(); !slices.Equal(g, []string{"password", "refresh_token", "password"}) {
		t.Fatalf("grants = %v, want [password refresh_token password]", g)
	}
}

func TestConcurrentCallersShareOneRenewal(t *testing.T) {
	f := newFakeNexudus(t)
	f.tokenDelay = 50 * time.Millisecond // callers pile up while the grant is in flight
	f.set(nexudus.PathCoworkers, coworkerRecs(5))
	c := f.client(t, newFakeClock(), nexudus.Config{})
	run := func() {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			wg.Go(func() {
				if _, err := c.ListCoworkers(t.Context(), nexudus.Query{}); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent ListCoworkers: %v", err)
		}
	}
	run()
	if g := f.grantTypes(); !slices.Equal(g, []string{"password"}) {
		t.Fatalf("16 first callers made grants %v, want one password grant", g)
	}
	f.revokeAccess()
	run()
	if g := f.grantTypes(); !slices.Equal(g, []string{"password", "refresh_token"}) {
		t.Fatalf("16 callers after a 401 made grants %v, want one refresh", g)
	}
}

func TestBadCredentials(t *testing.T) {
	f := newFakeNexudus(t)
	f.set(nexudus.PathCoworkers, nil)
	const secret = "wrong-Pa55word!"
	c := f.client(t, newFakeClock(), nexudus.Config{Password: secret})
	_, err := c.ListCoworkers(t.Context(), nexudus.Query{})
	var ae *nexudus.AuthError
	if !errors.As(err, &ae) || ae.Code != "invalid_grant" || !errors.Is(err, nexudus.ErrUnauthorized) {
		t.Fatalf("error = %v, want an invalid_grant AuthError matching ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error %q leaks the password", err)
	}
	if len(f.calls()) != 0 {
		t.Fatalf("made %d API calls without a token", len(f.calls()))
	}
}

func TestPermissionDeniedAfterFreshTokenIsUnauthorized(t *testing.T) {
	f := newFakeNexudus(t)
	f.raw[nexudus.PathCoworkers] = func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(401) // a missing Coworker-List role: 401 even with a good token
		io.WriteString(w, `{"Message":"Missing role Coworker-List"}`)
	}
	c := f.client(t, newFakeClock(), nexudus.Config{})
	_, err := c.ListCoworkers(t.Context(), nexudus.Query{})
	var api *nexudus.APIError
	if !errors.As(err, &api) || api.Status != 401 || !errors.Is(err, nexudus.ErrUnauthorized) {
		t.Fatalf("error = %v, want a 401 APIError", err)
	}
	if g := f.grantTypes(); !slices.Equal(g, []string{"password", "refresh_token"}) {
		t.Fatalf("grants = %v, want one renewal and no loop", g)
	}
}
