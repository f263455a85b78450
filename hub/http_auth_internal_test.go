package hub

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRequireAdmin: admin actions need the admin token in the header (a
// viewer token or a cookie never counts), or a local request; and any
// cross-origin browser request is refused, token or not (the CSRF
// defence).
func TestRequireAdmin(t *testing.T) {
	const admin, viewer = "adm-1234567890", "view-1234567890"
	cookie := sessionCookie + "=" + session([]byte(admin))
	tests := []struct {
		name     string
		loopback bool
		remote   string
		header   []string
		want     int
	}{
		{"admin token", false, "192.0.2.1:5000", []string{"Authorization", "Bearer " + admin}, 200},
		{"viewer token", false, "192.0.2.1:5000", []string{"Authorization", "Bearer " + viewer}, 401},
		{"no token remote", false, "192.0.2.1:5000", nil, 401},
		{"admin session cookie", false, "192.0.2.1:5000", []string{"Cookie", cookie}, 401},
		{"local without token", true, "127.0.0.1:5000", nil, 200},
		{"local with a wrong token", true, "127.0.0.1:5000", []string{"Authorization", "Bearer x"}, 401},
		{"loopback listener but forwarded", true, "127.0.0.1:5000", []string{"X-Forwarded-For", "192.0.2.9"}, 401},
		{"local cross-site", true, "127.0.0.1:5000", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"local foreign origin", true, "127.0.0.1:5000", []string{"Origin", "https://evil.example"}, 403},
		{"token but foreign origin", false, "192.0.2.1:5000", []string{"Authorization", "Bearer " + admin, "Origin", "https://evil.example"}, 403},
		{"same origin", true, "127.0.0.1:5000", []string{"Origin", "http://hub.test", "Sec-Fetch-Site", "same-origin"}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newAuth(viewer, admin, tc.loopback, false)
			h := a.requireAdmin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			r := httptest.NewRequest(http.MethodPost, "http://hub.test/api/admin/x", nil)
			r.RemoteAddr = tc.remote
			for i := 0; i+1 < len(tc.header); i += 2 {
				r.Header.Set(tc.header[i], tc.header[i+1])
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.want {
				t.Errorf("POST = %d, want %d (%s)", rec.Code, tc.want, rec.Body)
			}
		})
	}
}

// TestAdminWithoutToken: with no admin token configured, admin actions
// are open to local requests only.
func TestAdminWithoutToken(t *testing.T) {
	a := newAuth("", "", false, false)
	h := a.requireAdmin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest(http.MethodPost, "http://hub.test/x", nil)
	r.RemoteAddr = "192.0.2.1:5000"
	r.Header.Set("Authorization", "Bearer ")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 401 {
		t.Errorf("remote admin request without a configured token = %d, want 401", rec.Code)
	}
}

func TestLoopbackAddr(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		want bool
	}{{"127.0.0.1", true}, {"127.9.9.9", true}, {"::1", true}, {"0.0.0.0", false}, {"::", false},
		{"192.0.2.1", false}, {"::ffff:127.0.0.1", true}} {
		if got := loopbackAddr(&net.TCPAddr{IP: net.ParseIP(tc.ip), Port: 80}); got != tc.want {
			t.Errorf("loopbackAddr(%s) = %v, want %v", tc.ip, got, tc.want)
		}
	}
}

func TestBearer(t *testing.T) {
	for _, tc := range []struct {
		header, tok string
		ok          bool
	}{{"Bearer abc", "abc", true}, {"bearer abc", "abc", true}, {"Bearer  abc ", "abc", true},
		{"Bearer", "", false}, {"Bearer ", "", false}, {"Basic abc", "", false}, {"", "", false}} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", tc.header)
		tok, ok := bearer(r)
		if tok != tc.tok || ok != tc.ok {
			t.Errorf("bearer(%q) = %q, %v; want %q, %v", tc.header, tok, ok, tc.tok, tc.ok)
		}
	}
}
