package pull

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/sync/nexudus"
)

// Domain is a site domain that follows a Nexudus business.
type Domain struct {
	ID string
	// Business is the Nexudus business uniqueId the domain follows. Several
	// domains may follow one business.
	Business string
	// Zone is the domain's IANA zone from the site config (§7); Nexudus'
	// own zone is only cross-checked against it.
	Zone *time.Location
}

// Config configures a Syncer. Zero durations mean the defaults given.
type Config struct {
	Domains []Domain
	// MarginBefore opens a booking's access this long before it starts;
	// MarginAfter keeps it this long after it ends. Both are used as given
	// (the hub applies its 15 min default to MarginBefore).
	MarginBefore time.Duration
	MarginAfter  time.Duration
	// Prestage is how far ahead bookings, passes and contracts are stored
	// (DefaultPrestage); the nightly reconcile covers it.
	Prestage time.Duration
	// ReconcileWindow is the window of the periodic reconcile
	// (DefaultReconcileWindow).
	ReconcileWindow time.Duration
	// Lookback is how far back bookings are read (DefaultLookback).
	Lookback time.Duration
	// CursorOverlap steps UpdatedOn cursors back (nexudus.DefaultCursorOverlap).
	CursorOverlap time.Duration
	// Incremental, Reconcile and Nightly are cron specs (DefaultIncremental,
	// DefaultReconcile, DefaultNightly), evaluated in UTC.
	Incremental string
	Reconcile   string
	Nightly     string
	// WebhookToken is the bearer Nexudus sends to the webhook. Empty
	// disables the webhook (404).
	WebhookToken string
	// AccessGroupsToken is the bearer Nexudus sends to the access-groups
	// endpoint. Empty: the endpoint is open (put it on its own listener).
	AccessGroupsToken string
	// CheckinEvery is how often queued check-ins are posted
	// (DefaultCheckinEvery); CheckinGap suppresses a second check-in of the
	// same member within it (DefaultCheckinGap).
	CheckinEvery time.Duration
	CheckinGap   time.Duration
}

// Defaults.
const (
	DefaultPrestage        = 7 * 24 * time.Hour
	DefaultReconcileWindow = 48 * time.Hour
	DefaultLookback        = 24 * time.Hour
	DefaultIncremental     = "@every 1m"
	DefaultReconcile       = "0 */6 * * *"
	DefaultNightly         = "0 3 * * *"
	DefaultCheckinEvery    = 5 * time.Second
	DefaultCheckinGap      = time.Hour
	// RetryAfterSeconds is the Retry-After of a 503 from the webhook.
	RetryAfterSeconds = 30
)

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Prestage, DefaultPrestage)
	def(&c.ReconcileWindow, DefaultReconcileWindow)
	def(&c.Lookback, DefaultLookback)
	def(&c.CursorOverlap, nexudus.DefaultCursorOverlap)
	def(&c.CheckinEvery, DefaultCheckinEvery)
	def(&c.CheckinGap, DefaultCheckinGap)
	str := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	str(&c.Incremental, DefaultIncremental)
	str(&c.Reconcile, DefaultReconcile)
	str(&c.Nightly, DefaultNightly)
}

// Validate reports a config New cannot use, with field paths.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Domains) == 0 {
		errs = append(errs, errors.New("pull.domains: at least one domain must follow a nexudus business"))
	}
	seen := map[string]bool{}
	for i, d := range c.Domains {
		at := fmt.Sprintf("pull.domains[%d]", i)
		switch {
		case d.ID == "":
			errs = append(errs, fmt.Errorf("%s.id: required", at))
		case seen[d.ID]:
			errs = append(errs, fmt.Errorf("%s.id: domain %q twice", at, d.ID))
		}
		seen[d.ID] = true
		if d.Business == "" {
			errs = append(errs, fmt.Errorf("%s.business: required", at))
		}
		if d.Zone == nil {
			errs = append(errs, fmt.Errorf("%s.zone: required", at))
		}
	}
	if c.MarginBefore < 0 || c.MarginAfter < 0 {
		errs = append(errs, errors.New("pull.margins: must not be negative"))
	}
	return errors.Join(errs...)
}

// Deps are a Syncer's collaborators.
type Deps struct {
	// Client is the Nexudus REST client (one token and one budget for all
	// jobs). Required.
	Client *nexudus.Client
	// Store reads and writes the grant cache. Required.
	Store Store
	// Digest canonicalises and digests a raw credential (keys.Master.Digest).
	// Required.
	Digest func(t policy.CredentialType, raw string) (policy.Credential, error)
	// Unlocks feeds check-ins; nil disables them.
	Unlocks UnlockSource
	// Checkins posts check-ins; nil means Client.
	Checkins CheckinPoster
	// Parser parses the cron specs; nil means a robfig parser with optional
	// seconds and descriptors (the hub passes hub.CronParser{}).
	Parser     cron.ScheduleParser
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Now        func() time.Time
}

// CronOptions is the field set of the default cron parser.
const CronOptions = cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor
