package hub

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// Access rules of the HTTP API (docs/operations.md says the same):
//
//   - The status page and the read API show names and decisions: they need
//     the viewer or the admin token, as "Authorization: Bearer <token>" or,
//     for the page, the session cookie that "/?token=<token>" sets.
//   - Admin actions need the admin token in the Authorization header; a
//     cookie never counts for them.
//   - A request is local when the main listener is bound to loopback only
//     and the request carries none of Forwarded, X-Forwarded-For and
//     X-Real-IP (a reverse proxy on the box makes it remote). A local
//     request needs no token: whoever can reach a loopback port already
//     runs code on the box.
//   - CSRF: admin actions are refused when the browser says the request is
//     cross-origin (Sec-Fetch-Site, or an Origin that is not this host), by
//     net/http's CrossOriginProtection. A cross-site page can neither set
//     the Authorization header without a CORS preflight (which the hub
//     never answers) nor, for a local request without a token, pass the
//     origin check. Read routes are GET only and change nothing.
//
// Tokens are compared in constant time and never logged.

// sessionCookie holds a keyed digest of the token, never the token.
const sessionCookie = "lockhub_session"

// auth holds the tokens and the listener's locality.
type auth struct {
	viewer, admin []byte // nil when not configured
	loopback      bool   // the main listener is on loopback only
	tls           bool   // cookies get Secure
	csrf          *http.CrossOriginProtection
	// loginPage answers a refused page request (a token form); nil: 401 text.
	loginPage http.Handler
}

func newAuth(viewer, admin string, loopback, tls bool) *auth {
	a := &auth{loopback: loopback, tls: tls, csrf: http.NewCrossOriginProtection()}
	if viewer != "" {
		a.viewer = []byte(viewer)
	}
	if admin != "" {
		a.admin = []byte(admin)
	}
	return a
}

// local reports whether r is a local request (see above).
func (a *auth) local(r *http.Request) bool {
	if !a.loopback {
		return false
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if _, ok := r.Header[h]; ok {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// equal compares a presented token with a configured one in constant time.
func equal(presented string, want []byte) bool {
	if want == nil {
		return false
	}
	// Hash both to a fixed length so the comparison leaks no length either.
	p, w := sha256.Sum256([]byte(presented)), sha256.Sum256(want)
	return subtle.ConstantTimeCompare(p[:], w[:]) == 1
}

// session is the cookie value for a token: an HMAC keyed by the token, so
// the cookie does not reveal it.
func session(token []byte) string {
	m := hmac.New(sha256.New, token)
	m.Write([]byte("lockhub status page session v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// viewerToken reports whether tok is the viewer or the admin token.
func (a *auth) viewerToken(tok string) bool { return equal(tok, a.viewer) || equal(tok, a.admin) }

func (a *auth) viewerCookie(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	return (a.viewer != nil && equal(c.Value, []byte(session(a.viewer)))) ||
		(a.admin != nil && equal(c.Value, []byte(session(a.admin))))
}

func (a *auth) viewerOK(r *http.Request) bool {
	if a.local(r) {
		return true
	}
	if tok, ok := bearer(r); ok {
		return a.viewerToken(tok)
	}
	return a.viewerCookie(r)
}

// requireViewer lets through local requests and requests with the viewer
// or admin token (header or session cookie).
func (a *auth) requireViewer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.viewerOK(r) {
			if a.loginPage != nil && r.URL.Path == "/" {
				a.loginPage.ServeHTTP(w, r)
				return
			}
			unauthorized(w, "viewer")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireAdmin lets through requests that are not cross-origin and either
// carry the admin token in the Authorization header or are local.
func (a *auth) requireAdmin(next http.Handler) http.Handler {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, has := bearer(r)
		switch {
		case has && equal(tok, a.admin):
		case !has && a.local(r):
		default:
			unauthorized(w, "admin")
			return
		}
		next.ServeHTTP(w, r)
	})
	return a.csrf.Handler(ok)
}

// maxPageForm bounds the body of the page's forms.
const maxPageForm = 16 << 10

// login serves the page's token login: a posted form field "token" (the
// sign-in form), or "?token=" in a link, with a valid token sets the session
// cookie and redirects to the page (a link: to the same URL without the
// token, so it leaves the address bar). Without a token it calls next.
func (a *auth) login(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxPageForm)
			if err := r.ParseForm(); err != nil {
				http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
				return
			}
			if !r.PostForm.Has("token") {
				next.ServeHTTP(w, r)
				return
			}
			q = url.Values{"token": {r.PostForm.Get("token")}}
		} else if !q.Has("token") {
			next.ServeHTTP(w, r)
			return
		}
		tok := q.Get("token")
		var key []byte
		switch {
		case equal(tok, a.admin):
			key = a.admin
		case equal(tok, a.viewer):
			key = a.viewer
		default:
			if a.loginPage != nil {
				a.loginPage.ServeHTTP(w, r)
			} else {
				unauthorized(w, "viewer")
			}
			return
		}
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: session(key), Path: "/",
			HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: a.tls})
		q.Del("token")
		u := *r.URL
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
	})
}

func unauthorized(w http.ResponseWriter, role string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="lockhub"`)
	http.Error(w, "unauthorized: this needs the "+role+" token (Authorization: Bearer)", http.StatusUnauthorized)
}
