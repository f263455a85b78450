package upload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
)

// Defaults for zero Config fields.
const (
	DefaultSchedule         = "@every 10s"
	DefaultBacklogThreshold = 10_000
	DefaultCheckInterval    = time.Second
	DefaultMaxBatchEvents   = 5_000
	DefaultMaxBatchBytes    = 2 << 20
	DefaultRequestTimeout   = 30 * time.Second
	DefaultMaxParked        = 100
	DefaultBackoffBase      = time.Second
	DefaultBackoffMax       = 5 * time.Minute
	DefaultRetryAfterMax    = 15 * time.Minute
)

// Config configures an Uploader. Zero values mean the documented default.
type Config struct {
	// URL is the upstream endpoint batches are POSTed to. Required (http or
	// https).
	URL string
	// Token is the bearer token sent with every request. Required; never
	// logged.
	Token string
	// HubID identifies this hub upstream; it goes into every batch and
	// idempotency key. Required.
	HubID string
	// Epoch is the store epoch (the event log's Config.Epoch). Required.
	Epoch string
	// Schedule is the cron spec of the upload job, in UTC. "" means
	// DefaultSchedule.
	Schedule string
	// BacklogThreshold starts the job early when this many events wait.
	// Zero means DefaultBacklogThreshold.
	BacklogThreshold int
	// CheckInterval is how often the backlog is compared with the
	// threshold. Zero means DefaultCheckInterval.
	CheckInterval time.Duration
	// MaxBatchEvents and MaxBatchBytes bound a batch, in events and in bytes
	// of uncompressed JSON (one event is always sent). Zero means the
	// defaults.
	MaxBatchEvents int
	MaxBatchBytes  int
	// RequestTimeout bounds one request. Zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// MaxParked bounds the parked batches; when it is reached, a batch the
	// upstream refuses is retried (the upload stays failing) instead of
	// parked. Zero means DefaultMaxParked.
	MaxParked int
	// BackoffBase, BackoffMax: the retry delay doubles from BackoffBase up
	// to BackoffMax, jittered 0.5–1.5×. RetryAfterMax caps a server's
	// Retry-After. Zero means the defaults.
	BackoffBase, BackoffMax, RetryAfterMax time.Duration
}

// Deps are the Uploader's collaborators.
type Deps struct {
	// Outbox is the event log (*events.Log). Required.
	Outbox Outbox
	// Client sends the requests; nil means a client with
	// http.DefaultTransport. Its Timeout should be zero (RequestTimeout
	// applies per request).
	Client *http.Client
	// Logger receives state changes only; nil discards them.
	Logger *slog.Logger
	// Registerer receives the metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Now is the clock for status and logs; nil means time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx ends (returning its error); nil means a
	// timer. Tests inject it to observe and skip backoff delays.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0, 1); nil means math/rand/v2.
	Jitter func() float64
}

func (c *Config) setDefaults() (cron.Schedule, error) {
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, errors.New("upload config: url must be an http or https URL")
	case c.Token == "":
		return nil, errors.New("upload config: token is required")
	case c.HubID == "" || len(c.HubID) > 128:
		return nil, errors.New("upload config: hub_id must be 1 to 128 bytes")
	case c.Epoch == "" || len(c.Epoch) > 128:
		return nil, errors.New("upload config: epoch must be 1 to 128 bytes")
	case c.BacklogThreshold < 0 || c.CheckInterval < 0 || c.MaxBatchEvents < 0 || c.MaxBatchBytes < 0 ||
		c.RequestTimeout < 0 || c.MaxParked < 0 || c.BackoffBase < 0 || c.BackoffMax < 0 || c.RetryAfterMax < 0:
		return nil, errors.New("upload config: negative limit")
	}
	if c.Schedule == "" {
		c.Schedule = DefaultSchedule
	}
	sched, err := cron.ParseStandard(c.Schedule)
	if err != nil {
		return nil, fmt.Errorf("upload config: schedule: %w", err)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.BacklogThreshold, DefaultBacklogThreshold)
	def(&c.MaxBatchEvents, DefaultMaxBatchEvents)
	def(&c.MaxBatchBytes, DefaultMaxBatchBytes)
	def(&c.MaxParked, DefaultMaxParked)
	defD(&c.CheckInterval, DefaultCheckInterval)
	defD(&c.RequestTimeout, DefaultRequestTimeout)
	defD(&c.BackoffBase, DefaultBackoffBase)
	defD(&c.BackoffMax, DefaultBackoffMax)
	defD(&c.RetryAfterMax, DefaultRetryAfterMax)
	return sched, nil
}
