package nexudus_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/simulators/nexudus"
)

func TestTokenGrantErrors(t *testing.T) {
	sm := newSim(t, nexudus.Config{Users: []nexudus.User{
		{Email: "admin@example.org", Password: "secret"},
		{Email: "2fa@example.org", Password: "pw", TOTP: "123456"},
	}})
	tests := []struct {
		name      string
		ctype     string
		body      string
		wantCode  int
		wantError string
	}{
		{"json body", "application/json", `{"grant_type":"password","username":"admin@example.org","password":"secret"}`, 400, "unsupported_grant_type"},
		{"bad password", "application/x-www-form-urlencoded", "grant_type=password&username=admin%40example.org&password=nope", 400, "invalid_grant"},
		{"unknown user", "application/x-www-form-urlencoded", "grant_type=password&username=x%40example.org&password=secret", 400, "invalid_grant"},
		{"missing fields", "application/x-www-form-urlencoded", "grant_type=password", 400, "invalid_grant"},
		{"unknown grant", "application/x-www-form-urlencoded", "grant_type=client_credentials", 400, "unsupported_grant_type"},
		{"2fa without totp", "application/x-www-form-urlencoded", "grant_type=password&username=2fa%40example.org&password=pw", 400, "invalid_grant"},
		{"2fa with totp", "application/x-www-form-urlencoded", "grant_type=password&username=2fa%40example.org&password=pw&totp=123456", 200, ""},
		{"refresh unknown", "application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=abc&client_id=x", 400, "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(sm.url+"/api/token", tc.ctype, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status = %d, want %d (%v)", resp.StatusCode, tc.wantCode, m)
			}
			if tc.wantError != "" && m["error"] != tc.wantError {
				t.Errorf("error = %v, want %q", m["error"], tc.wantError)
			}
			if tc.wantCode == 200 && (m["access_token"] == "" || m["token_type"] != "bearer") {
				t.Errorf("grant = %v", m)
			}
		})
	}
}

func TestTokenErrorStatus401(t *testing.T) {
	sm := newSim(t, nexudus.Config{TokenErrorStatus: http.StatusUnauthorized})
	code, _ := sm.postForm(t, url.Values{"grant_type": {"password"}, "username": {"admin@example.org"}, "password": {"x"}})
	if code != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", code)
	}
}

func TestTokenRefreshLifecycle(t *testing.T) {
	sm := newSim(t, nexudus.Config{TokenTTL: time.Hour})
	pw := url.Values{"grant_type": {"password"}, "username": {"admin@example.org"}, "password": {"secret"}, "client_id": {"hub-1"}}
	g1 := sm.grant(t, pw)
	if g1["expires_in"].(float64) != 3600 {
		t.Errorf("expires_in = %v, want 3600", g1["expires_in"])
	}
	at1, rt1 := g1["access_token"].(string), g1["refresh_token"].(string)
	refresh := func(rt, client string) (int, map[string]any) {
		code, body := sm.postForm(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {client}})
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		return code, m
	}
	if code, _ := refresh(rt1, ""); code != 400 {
		t.Errorf("refresh without client_id: status %d, want 400", code)
	}
	if code, _ := refresh(rt1, "other"); code != 400 {
		t.Errorf("refresh with another client_id: status %d, want 400", code)
	}
	code, g2 := refresh(rt1, "hub-1")
	if code != 200 {
		t.Fatalf("refresh: status %d", code)
	}
	if code, _ := refresh(rt1, "hub-1"); code != 400 {
		t.Errorf("reused refresh token: status %d, want 400", code)
	}
	// The earlier access token stays valid until it expires.
	if code, _, _ := sm.getWith(t, "/api/spaces/coworkers", "Bearer "+at1); code != 200 {
		t.Errorf("old access token after refresh: status %d, want 200", code)
	}
	// A new password grant for the same client_id invalidates its refresh token.
	sm.grant(t, pw)
	if code, _ := refresh(g2["refresh_token"].(string), "hub-1"); code != 400 {
		t.Errorf("refresh after a new grant: status %d, want 400", code)
	}
	// Access tokens expire on the injected clock.
	sm.clock.Add(time.Hour + time.Second)
	if code, h, _ := sm.getWith(t, "/api/spaces/coworkers", "Bearer "+at1); code != 401 || h.Get("WWW-Authenticate") == "" {
		t.Errorf("expired access token: status %d, want 401 with WWW-Authenticate", code)
	}
}

func TestRefreshTokenExpires(t *testing.T) {
	sm := newSim(t, nexudus.Config{})
	g := sm.grant(t, url.Values{"grant_type": {"password"}, "username": {"admin@example.org"}, "password": {"secret"}})
	sm.clock.Add(15*24*time.Hour + time.Minute)
	code, _ := sm.postForm(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {g["refresh_token"].(string)},
		"client_id": {"admin@example.org"}})
	if code != 400 {
		t.Fatalf("refresh after 15 days: status %d, want 400", code)
	}
}

func TestAPIAuth(t *testing.T) {
	sm := newSim(t, nexudus.Config{})
	tests := []struct {
		name  string
		authz string
		want  int
	}{
		{"bearer", "Bearer " + sm.token, 200},
		{"basic", "Basic " + basic("admin@example.org", "secret"), 200},
		{"basic wrong", "Basic " + basic("admin@example.org", "x"), 401},
		{"unknown bearer", "Bearer nope", 401},
		{"none", "", 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := sm.getWith(t, "/api/spaces/coworkers", tc.authz)
			if code != tc.want {
				t.Fatalf("status = %d, want %d: %s", code, tc.want, body)
			}
		})
	}
	sm.ExpireAccessTokens()
	if code, _, _ := sm.get(t, "/api/spaces/coworkers"); code != 401 {
		t.Errorf("after ExpireAccessTokens: status %d, want 401", code)
	}
}

func basic(u, p string) string {
	r, _ := http.NewRequest("GET", "http://x", nil)
	r.SetBasicAuth(u, p)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}
