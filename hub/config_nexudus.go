package hub

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// NexudusConfig is the Nexudus REST sync and the Custom ACS endpoints. It is
// in use when some domain names a nexudus_business; then Username and a
// password reference are required.
type NexudusConfig struct {
	// BaseURL is the admin REST API. Empty means DefaultNexudusURL. https,
	// or http to a loopback host (the simulator).
	BaseURL string `yaml:"base_url"`
	// ClientID is the OAuth client_id (a fixed GUID); one hub per client id.
	// Empty means the username.
	ClientID string `yaml:"client_id"`
	// Username is the Nexudus admin user's email.
	Username string `yaml:"username"`
	// The admin user's password, from an environment variable or a file.
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	// The bearer token Nexudus sends to the Custom ACS webhook. Neither set:
	// the webhook endpoint is disabled.
	WebhookTokenEnv  string `yaml:"webhook_token_env"`
	WebhookTokenFile string `yaml:"webhook_token_file"`
	// The bearer token Nexudus sends to the access-groups endpoint. Neither
	// set: the endpoint is disabled.
	AccessGroupsTokenEnv  string `yaml:"access_groups_token_env"`
	AccessGroupsTokenFile string `yaml:"access_groups_token_file"`
	// BookingMarginBefore opens a booking's access this long before it
	// starts. Unset means 15m; 0 means at the start.
	BookingMarginBefore *Duration `yaml:"booking_margin_before"`
	// BookingMarginAfter keeps a booking's access this long after it ends.
	// Zero (the default) means it ends with the booking.
	BookingMarginAfter Duration `yaml:"booking_margin_after"`
	// Prestage is how far ahead bookings and contracts are stored. Zero
	// means 7d.
	Prestage Duration `yaml:"prestage"`
	// Incremental, Reconcile and Nightly are cron specs (5 fields, or 6 with
	// seconds first, or @every/@hourly/@daily; evaluated in UTC unless they
	// start with CRON_TZ=Zone) for the incremental pull (empty means
	// "@every 1m"), the reconcile of the next 48 hours (empty means
	// "0 */6 * * *") and the full nightly reconcile (empty means "0 3 * * *").
	Incremental string `yaml:"incremental"`
	Reconcile   string `yaml:"reconcile"`
	Nightly     string `yaml:"nightly"`
	// TimeMode says how REST times are read: auto (compare FromTime with
	// FromTimeLocal), utc or wallclock. Empty means auto.
	TimeMode string `yaml:"time_mode"`
	// RequestsPerMinute is the sustained GET budget, at most 120 (Nexudus'
	// limit). Zero means 80.
	RequestsPerMinute int `yaml:"requests_per_minute"`
	// Burst is how many requests may go at once, at most RequestsPerMinute.
	// Zero means 8.
	Burst int `yaml:"burst"`
}

// Nexudus defaults and limits.
const (
	DefaultNexudusURL          = "https://spaces.nexudus.com/api/"
	DefaultBookingMarginBefore = 15 * time.Minute
	MaxNexudusRequestsPerMin   = 120
)

// Time modes of Nexudus REST times.
const (
	TimeModeAuto      = "auto"
	TimeModeUTC       = "utc"
	TimeModeWallclock = "wallclock"
)

func (n *NexudusConfig) setDefaults() {
	setStr(&n.BaseURL, DefaultNexudusURL)
	if n.BookingMarginBefore == nil {
		d := Duration(DefaultBookingMarginBefore)
		n.BookingMarginBefore = &d
	}
	setDur(&n.Prestage, 7*24*time.Hour)
	setStr(&n.Incremental, "@every 1m")
	setStr(&n.Reconcile, "0 */6 * * *")
	setStr(&n.Nightly, "0 3 * * *")
	setStr(&n.TimeMode, TimeModeAuto)
	setInt(&n.RequestsPerMinute, 80)
	setInt(&n.Burst, 8)
}

// MarginBefore is BookingMarginBefore with its default applied.
func (n *NexudusConfig) MarginBefore() time.Duration {
	if n.BookingMarginBefore == nil {
		return DefaultBookingMarginBefore
	}
	return n.BookingMarginBefore.Std()
}

// Password is the reference to the Nexudus admin password.
func (n *NexudusConfig) Password() SecretRef {
	return SecretRef{Field: "nexudus.password", Env: n.PasswordEnv, File: n.PasswordFile}
}

// WebhookToken is the reference to the webhook bearer token.
func (n *NexudusConfig) WebhookToken() SecretRef {
	return SecretRef{Field: "nexudus.webhook_token", Env: n.WebhookTokenEnv, File: n.WebhookTokenFile}
}

// AccessGroupsToken is the reference to the access-groups bearer token.
func (n *NexudusConfig) AccessGroupsToken() SecretRef {
	return SecretRef{Field: "nexudus.access_groups_token", Env: n.AccessGroupsTokenEnv, File: n.AccessGroupsTokenFile}
}

// NexudusEnabled reports whether some domain follows a Nexudus business.
func (c *Config) NexudusEnabled() bool {
	for _, d := range c.Domains {
		if d.NexudusBusiness != "" {
			return true
		}
	}
	return false
}

// CronParser parses the cron specs of the site config: 5 fields, or 6 with
// seconds first, and descriptors (@every 1m, @hourly). Unlike cron's own
// parser it never panics: use it with cron.WithParser(hub.CronParser{}).
type CronParser struct{}

var _ cron.ScheduleParser = CronParser{}

const cronOptions = cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom |
	cron.Month | cron.Dow | cron.Descriptor

// Parse implements cron.ScheduleParser.
func (CronParser) Parse(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("cron spec %q is malformed", spec)
		}
	}()
	s, err = cron.NewParser(cronOptions).Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("cron spec %q: %w", spec, err)
	}
	return s, nil
}
