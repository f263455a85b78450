package nexudus

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// authState holds issued tokens (nexudus.md §3.1, §6).
type authState struct {
	s       *Server
	mu      sync.Mutex
	access  map[string]grant
	refresh map[string]grant
	current map[string]string // client_id -> its one valid refresh token
}

type grant struct {
	clientID string
	user     string
	expires  time.Time
}

func newAuthState(s *Server) *authState {
	return &authState{s: s, access: map[string]grant{}, refresh: map[string]grant{}, current: map[string]string{}}
}

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// handleToken serves POST /api/token: form-encoded password and
// refresh_token grants. A JSON body fails with unsupported_grant_type.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "The request body could not be read.")
		return
	}
	a := s.auth
	now := s.now()
	var user, clientID string
	switch r.PostForm.Get("grant_type") {
	case "password":
		u, ok := s.checkUser(r.PostForm.Get("username"), r.PostForm.Get("password"), r.PostForm.Get("totp"), true)
		if !ok {
			tokenError(w, s.cfg.TokenErrorStatus, "invalid_grant", "The user name or password is incorrect.")
			return
		}
		user = u
		clientID = r.PostForm.Get("client_id")
		if clientID == "" {
			clientID = user
		}
	case "refresh_token":
		clientID = r.PostForm.Get("client_id")
		rt := r.PostForm.Get("refresh_token")
		a.mu.Lock()
		g, ok := a.refresh[rt]
		valid := ok && clientID != "" && g.clientID == clientID && a.current[clientID] == rt && now.Before(g.expires)
		a.mu.Unlock()
		if !valid {
			tokenError(w, s.cfg.TokenErrorStatus, "invalid_grant", "The refresh token is invalid.")
			return
		}
		user = g.user
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	at, rt := newToken(), newToken()
	a.mu.Lock()
	a.access[at] = grant{clientID: clientID, user: user, expires: now.Add(s.cfg.TokenTTL)}
	if old, ok := a.current[clientID]; ok {
		delete(a.refresh, old) // one refresh token per client_id
	}
	a.refresh[rt] = grant{clientID: clientID, user: user, expires: now.Add(s.cfg.RefreshTTL)}
	a.current[clientID] = rt
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": at, "token_type": "bearer",
		"expires_in": int(s.cfg.TokenTTL / time.Second), "refresh_token": rt,
	})
}

// checkUser verifies credentials in constant time per user.
func (s *Server) checkUser(email, password, totp string, allowTOTP bool) (string, bool) {
	for _, u := range s.cfg.Users {
		if !strings.EqualFold(u.Email, email) {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) != 1 {
			return "", false
		}
		if u.TOTP != "" && (!allowTOTP || subtle.ConstantTimeCompare([]byte(u.TOTP), []byte(totp)) != 1) {
			return "", false
		}
		return u.Email, true
	}
	return "", false
}

// identify returns the client behind a request (client_id for bearer tokens,
// the user for Basic) and whether its credentials are valid now.
func (s *Server) identify(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		s.auth.mu.Lock()
		g, found := s.auth.access[strings.TrimSpace(tok)]
		s.auth.mu.Unlock()
		if found && s.now().Before(g.expires) {
			return g.clientID, true
		}
		return "", false
	}
	if u, p, ok := r.BasicAuth(); ok {
		return s.checkUser(u, p, "", false)
	}
	return "", false
}

// clientKey names the throttle bucket of a request: its client, else its
// remote host.
func (s *Server) clientKey(r *http.Request) string {
	if id, ok := s.identify(r); ok {
		return "client:" + strings.ToLower(id)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "addr:" + host
}

func (s *Server) requireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.identify(r); !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="nexudus"`)
			writeResult(w, http.StatusUnauthorized, "Authorization has been denied for this request.", 0)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ExpireAccessTokens makes every issued access token invalid (refresh
// tokens stay valid), so a client must refresh.
func (s *Server) ExpireAccessTokens() {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	clear(s.auth.access)
}

// RevokeAllTokens drops every access and refresh token.
func (s *Server) RevokeAllTokens() {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	clear(s.auth.access)
	clear(s.auth.refresh)
	clear(s.auth.current)
}
