package nexudus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/lockhub/lockhub/internal/backoff"
)

// Client is a typed Nexudus REST client (nexudus.md §3). It is safe for
// concurrent use; all callers share one token and one request budget.
type Client struct {
	cfg  Config
	hc   *http.Client
	log  *slog.Logger
	auth tokenSource

	sustained *rate.Limiter // RequestsPerMinute, bucket Burst
	spacing   *rate.Limiter // Burst per second, one at a time
	writes    *rate.Limiter // WritesPerSecond, one at a time

	modes modeTracker
	// zones maps a resource id to the zone of its business, for the
	// time-mode detector (SetResourceZones); nil: Config.Location for all.
	zones atomic.Pointer[map[int64]*time.Location]
}

// New validates cfg and returns a Client. A nil httpClient means a plain
// &http.Client{} (http.DefaultTransport); its own Timeout, if any, still
// applies on top of Config.Timeout.
func New(cfg Config, httpClient *http.Client, log *slog.Logger) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		cfg:       cfg,
		hc:        httpClient,
		log:       log.With("component", "nexudus"),
		sustained: rate.NewLimiter(rate.Limit(cfg.RequestsPerMinute/60), cfg.Burst),
		spacing:   rate.NewLimiter(rate.Limit(cfg.Burst), 1),
		writes:    rate.NewLimiter(rate.Limit(cfg.WritesPerSecond), 1),
	}
	c.auth.c = c
	return c, nil
}

// TimeMode is the tenant's time mode (Q8): Config.TimeMode if set, else what
// the booking pairs decoded so far show (the majority, if they disagree).
func (c *Client) TimeMode() TimeMode {
	if c.cfg.TimeMode != TimeModeUnknown {
		return c.cfg.TimeMode
	}
	m, _, _ := c.modes.mode()
	return m
}

// TimeModeVotes returns how many booking pairs decoded so far showed UTC
// mode and how many wall-clock mode (pairs that cannot tell are not
// counted). Both non-zero means the tenant's pairs disagree.
func (c *Client) TimeModeVotes() (utc, wallclock int) {
	_, utc, wallclock = c.modes.mode()
	return utc, wallclock
}

// Location is the zone the client uses for time-mode detection and filters.
func (c *Client) Location() *time.Location { return c.cfg.Location }

// SetResourceZones tells the time-mode detector the zone of each resource's
// business (resource id → zone). A booking's local twin is in its
// business's zone: judged against another zone, a pair of a business whose
// offset is zero that day (London in winter) reads as wall-clock mode
// against a zone that is not. Resources missing from the map use
// Config.Location. The map is not modified afterwards by the caller.
func (c *Client) SetResourceZones(zones map[int64]*time.Location) {
	c.zones.Store(&zones)
}

// zoneOf is the zone of a resource's business for the detector.
func (c *Client) zoneOf(resource int64) *time.Location {
	if m := c.zones.Load(); m != nil {
		if z := (*m)[resource]; z != nil {
			return z
		}
	}
	return c.cfg.Location
}

// observeMode feeds one field/twin pair of a booking of resource to the
// time-mode detector.
func (c *Client) observeMode(field, local Time, resource int64) {
	if c.cfg.TimeMode != TimeModeUnknown {
		return
	}
	if c.modes.vote(DetectTimeMode(field, local, c.zoneOf(resource))) {
		_, utc, wall := c.modes.mode()
		c.log.Warn("nexudus time mode is inconsistent", "utc_pairs", utc, "wallclock_pairs", wall)
	}
}

// request is one logical HTTP request.
type request struct {
	method string
	path   string // "/api/spaces/coworkers"
	query  url.Values
	body   []byte
	form   bool // body is form-encoded (token requests); no bearer
	write  bool // counts against the write budget
}

// response is a final answer: 2xx, or a status the caller classifies.
type response struct {
	status int
	body   []byte
}

// do sends req with the request budget, a bearer token, per-attempt
// timeouts, and retries: 409/429 after Retry-After, 5xx and network errors
// with jittered backoff (reads only; a write is retried only when
// throttled, since it was then not processed), and one token renewal on 401.
func (c *Client) do(ctx context.Context, req request) (response, error) {
	bo := backoff.New(c.cfg.Backoff)
	renewed := false
	for retries := 0; ; {
		if err := c.waitBudget(ctx, req.write); err != nil {
			return response{}, err
		}
		var tok string
		if !req.form {
			var err error
			if tok, err = c.auth.token(ctx); err != nil {
				return response{}, err
			}
		}
		res, hdr, err := c.once(ctx, req, tok)
		var ra time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return response{}, fmt.Errorf("nexudus: %s %s: %w", req.method, req.path, ctx.Err())
			}
			if errors.Is(err, ErrTooLarge) || req.write || retries >= c.cfg.MaxRetries {
				if errors.Is(err, ErrTooLarge) {
					return response{}, err
				}
				return response{}, fmt.Errorf("%w: %s %s after %d attempts: %w", ErrServer, req.method, req.path, retries+1, err)
			}
			c.log.Debug("nexudus request failed; retrying", "method", req.method, "path", req.path, "attempt", retries+1, "error", err.Error())
		case res.status/100 == 2:
			return res, nil
		case res.status == http.StatusUnauthorized && !req.form:
			if renewed {
				return response{}, &APIError{Method: req.method, Path: req.path, Status: res.status, Message: apiMessage(res.body)}
			}
			renewed = true
			c.auth.invalidate(tok)
			continue // renewing is not a retry
		case res.status == http.StatusConflict || res.status == http.StatusTooManyRequests:
			if retries >= c.cfg.MaxRetries {
				return response{}, fmt.Errorf("%w: %s %s: status %d after %d attempts", ErrThrottled, req.method, req.path, res.status, retries+1)
			}
			ra, _ = backoff.ParseRetryAfter(hdr.Get("Retry-After"), c.cfg.Now())
			if ra == 0 {
				ra = backoff.DefaultBase // Q14: 2 s when the header is missing
				if retries > 0 {
					ra = 0 // then grow exponentially from the base
				}
			}
			c.log.Info("nexudus throttled", "method", req.method, "path", req.path, "status", res.status, "retry_after", ra.String())
		case res.status >= 500:
			if req.write || retries >= c.cfg.MaxRetries {
				return response{}, fmt.Errorf("%w: %s %s: status %d after %d attempts", ErrServer, req.method, req.path, res.status, retries+1)
			}
			ra, _ = backoff.ParseRetryAfter(hdr.Get("Retry-After"), c.cfg.Now())
			c.log.Debug("nexudus server error; retrying", "method", req.method, "path", req.path, "status", res.status, "attempt", retries+1)
		default:
			return res, nil // 4xx: the caller classifies
		}
		retries++
		if err := bo.Wait(ctx, ra); err != nil {
			return response{}, fmt.Errorf("nexudus: %s %s: %w", req.method, req.path, err)
		}
	}
}

// once sends one attempt under Config.Timeout and reads the bounded body.
func (c *Client) once(ctx context.Context, req request, tok string) (response, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	u := c.cfg.BaseURL + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return response{}, nil, fmt.Errorf("build request: %w", err)
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "lockhub")
	switch {
	case req.form:
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case req.body != nil:
		hr.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL: it may carry filter values
		}
		return response{}, nil, err
	}
	defer resp.Body.Close()
	limit := c.cfg.MaxResponseBytes
	if resp.ContentLength > limit {
		return response{}, nil, &TooLargeError{Path: req.path, Limit: limit}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if int64(len(b)) > limit {
		return response{}, nil, &TooLargeError{Path: req.path, Limit: limit}
	}
	if err != nil {
		return response{}, nil, fmt.Errorf("read body: %w", err)
	}
	return response{status: resp.StatusCode, body: b}, resp.Header, nil
}

// waitBudget waits for the request budget in the client's (possibly fake)
// time: the burst spacing, the sustained rate, and for writes the write rate.
func (c *Client) waitBudget(ctx context.Context, write bool) error {
	lims := []*rate.Limiter{c.spacing, c.sustained, nil}
	if write {
		lims[2] = c.writes
	}
	for _, l := range lims {
		if l == nil {
			continue
		}
		now := c.cfg.Now()
		r := l.ReserveN(now, 1)
		if !r.OK() {
			return errors.New("nexudus: request budget misconfigured")
		}
		if d := r.DelayFrom(now); d > 0 {
			if err := c.cfg.Sleep(ctx, d); err != nil {
				r.CancelAt(c.cfg.Now())
				return fmt.Errorf("nexudus: wait for request budget: %w", err)
			}
		}
	}
	return nil
}

// get fetches path and returns the 2xx body, or an APIError.
func (c *Client) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	res, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q})
	if err != nil {
		return nil, err
	}
	if res.status/100 != 2 {
		return nil, &APIError{Method: http.MethodGet, Path: path, Status: res.status, Message: apiMessage(res.body)}
	}
	return res.body, nil
}

// apiMessage extracts Nexudus' Message (or OAuth error_description) from an
// error body, cut short; other bodies give "".
func apiMessage(b []byte) string {
	var m struct {
		Message          string `json:"Message"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	if m.Message == "" {
		m.Message = m.ErrorDescription
	}
	return truncate(m.Message, 200)
}
