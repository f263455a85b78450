package nexudus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tokenPath is the token endpoint on the admin host (nexudus.md §3.1).
const tokenPath = "/api/token"

// tokenSource holds the bearer token and renews it (Q15): a password grant
// first; a refresh-token grant at 50 % of expires_in or after a 401; a new
// password grant if the refresh fails. One renewal serves every caller that
// needs a token meanwhile.
type tokenSource struct {
	c *Client

	mu        sync.Mutex
	access    string
	refresh   string
	refreshAt time.Time
	stale     bool    // a 401 was seen with the current access token
	flight    *flight // the renewal in progress, if any
}

type flight struct {
	done   chan struct{}
	access string
	err    error
}

// token returns a usable access token, renewing it first if needed.
func (s *tokenSource) token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.access != "" && !s.stale && s.c.cfg.Now().Before(s.refreshAt) {
		a := s.access
		s.mu.Unlock()
		return a, nil
	}
	f := s.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		s.flight = f
		// The renewal outlives a caller that gives up: others wait on it.
		go s.renew(context.WithoutCancel(ctx), f, s.refresh)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.access, f.err
	case <-ctx.Done():
		return "", fmt.Errorf("nexudus: wait for token: %w", ctx.Err())
	}
}

// invalidate marks used stale after a 401, unless a renewal already replaced it.
func (s *tokenSource) invalidate(used string) {
	s.mu.Lock()
	if s.access == used {
		s.stale = true
	}
	s.mu.Unlock()
}

func (s *tokenSource) renew(ctx context.Context, f *flight, refresh string) {
	cfg := s.c.cfg
	var (
		g   grant
		err error
	)
	if refresh != "" {
		g, err = s.grant(ctx, url.Values{
			"grant_type":    {"refresh_token"},
			"refresh_token": {refresh},
			"client_id":     {cfg.ClientID},
		})
		if err == nil {
			s.c.log.Debug("nexudus token refreshed", "expires_in", g.expiresIn.String())
		} else {
			s.c.log.Info("nexudus token refresh failed; signing in again", "error", err.Error())
		}
	}
	if refresh == "" || err != nil {
		g, err = s.grant(ctx, url.Values{
			"grant_type": {"password"},
			"username":   {cfg.Username},
			"password":   {cfg.Password},
			"client_id":  {cfg.ClientID},
		})
		if err == nil {
			s.c.log.Info("nexudus signed in", "expires_in", g.expiresIn.String())
		}
	}
	s.mu.Lock()
	if err == nil {
		s.access, s.refresh, s.stale = g.access, g.refresh, false
		s.refreshAt = cfg.Now().Add(g.expiresIn / 2)
	}
	s.flight = nil
	s.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("nexudus: get token: %w", err)
	}
	f.access, f.err = g.access, err
	close(f.done)
}

type grant struct {
	access, refresh string
	expiresIn       time.Duration
}

// fallbackExpiry is used when expires_in is missing: renew soon.
const fallbackExpiry = 10 * time.Minute

// grant posts one form-encoded token request (a JSON body would fail with
// unsupported_grant_type, §3.1).
func (s *tokenSource) grant(ctx context.Context, form url.Values) (grant, error) {
	res, err := s.c.do(ctx, request{
		method: http.MethodPost, path: tokenPath, body: []byte(form.Encode()), form: true, write: true,
	})
	if err != nil {
		return grant{}, err
	}
	if res.status != http.StatusOK {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(res.body, &e) // a non-JSON body leaves both empty
		return grant{}, &AuthError{Status: res.status, Code: truncate(e.Error, 64), Description: truncate(e.Description, 200)}
	}
	var t struct {
		AccessToken  string          `json:"access_token"`
		TokenType    string          `json:"token_type"`
		ExpiresIn    json.RawMessage `json:"expires_in"`
		RefreshToken string          `json:"refresh_token"`
	}
	if err := json.Unmarshal(res.body, &t); err != nil {
		return grant{}, decodeError("token", err)
	}
	if t.AccessToken == "" {
		return grant{}, &DecodeError{Entity: "token", Field: "access_token", Want: "string", Got: "nothing", Err: errTypeMismatch}
	}
	if t.TokenType != "" && !strings.EqualFold(t.TokenType, "bearer") {
		return grant{}, &DecodeError{Entity: "token", Field: "token_type", Want: "bearer", Got: "another type", Err: errTypeMismatch}
	}
	exp := fallbackExpiry
	if secs, err := strconv.ParseFloat(strings.Trim(string(t.ExpiresIn), `"`), 64); err == nil && secs > 0 && secs < 1e9 {
		exp = time.Duration(secs * float64(time.Second))
	}
	return grant{access: t.AccessToken, refresh: t.RefreshToken, expiresIn: exp}, nil
}
