package nexudus

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/lockhub/lockhub/internal/backoff"
)

// DefaultBaseURL is the admin REST host (nexudus.md §3.1). Paths are added
// to it ("/api/spaces/coworkers").
const DefaultBaseURL = "https://spaces.nexudus.com"

// Defaults for zero Config fields (nexudus.md Q14).
const (
	DefaultTimeout           = 30 * time.Second
	DefaultRequestsPerMinute = 80
	DefaultBurst             = 8
	DefaultWritesPerSecond   = 1
	DefaultPageSize          = 500
	DefaultMaxResponseBytes  = 32 << 20
	DefaultMaxRetries        = 6
)

// Config configures a Client. Zero fields take the defaults above.
type Config struct {
	// BaseURL is scheme://host[:port][/prefix]; a trailing "/api" is
	// accepted and dropped. Empty means DefaultBaseURL.
	BaseURL string
	// ClientID is the OAuth client_id: a fixed GUID per hub (Q15). Empty
	// means Username (Nexudus' own default).
	ClientID string
	// Username and Password are the admin user's credentials; the caller
	// resolves the secret. Both are required.
	Username string
	Password string
	// Timeout bounds each HTTP attempt, body included.
	Timeout time.Duration
	// RequestsPerMinute is the sustained budget for all requests; Burst is
	// both the bucket size and the most requests in any one second (so the
	// 1-per-100-ms limit holds). WritesPerSecond paces POST/PUT/DELETE.
	RequestsPerMinute float64
	Burst             int
	WritesPerSecond   float64
	// PageSize is the size parameter of list requests.
	PageSize int
	// MaxResponseBytes bounds one response body (one page).
	MaxResponseBytes int64
	// MaxRetries bounds retries of one request after throttling, 5xx or a
	// network error.
	MaxRetries int
	// Location is the site's IANA zone for this tenant (nexudus.md §7), used
	// to detect the time mode and to format filters. Nil means UTC.
	Location *time.Location
	// TimeMode forces the mode; TimeModeUnknown detects it (Q8).
	TimeMode TimeMode
	// Backoff configures retry delays (Base 2 s, cap 60 s by default). Its
	// Sleep, if nil, is Config.Sleep.
	Backoff backoff.Config
	// Now and Sleep are the clock; nil means the real one. Tests inject a
	// fake clock so that token expiry, rate limits and Retry-After pass in
	// fake time.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// withDefaults returns cfg with zero fields filled and BaseURL normalised, or
// an error naming the first bad field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return cfg, errors.New("nexudus config: base_url: want an absolute http(s) URL without a query")
	}
	cfg.BaseURL = strings.TrimSuffix(strings.TrimSuffix(u.String(), "/"), "/api")
	if cfg.Username == "" {
		return cfg, errors.New("nexudus config: username: required")
	}
	if cfg.Password == "" {
		return cfg, errors.New("nexudus config: password: required")
	}
	if cfg.ClientID == "" {
		cfg.ClientID = cfg.Username
	}
	for _, f := range []struct {
		name string
		bad  bool
	}{
		{"timeout", cfg.Timeout < 0},
		{"requests_per_minute", cfg.RequestsPerMinute < 0},
		{"burst", cfg.Burst < 0},
		{"writes_per_second", cfg.WritesPerSecond < 0},
		{"page_size", cfg.PageSize < 0},
		{"max_response_bytes", cfg.MaxResponseBytes < 0},
		{"max_retries", cfg.MaxRetries < 0},
	} {
		if f.bad {
			return cfg, fmt.Errorf("nexudus config: %s: must not be negative", f.name)
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.RequestsPerMinute == 0 {
		cfg.RequestsPerMinute = DefaultRequestsPerMinute
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.WritesPerSecond == 0 {
		cfg.WritesPerSecond = DefaultWritesPerSecond
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = backoff.Sleep
	}
	if cfg.Backoff.Sleep == nil {
		cfg.Backoff.Sleep = cfg.Sleep
	}
	return cfg, nil
}
