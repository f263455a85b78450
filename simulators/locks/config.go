package locks

import (
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"

	"github.com/lockhub/lockhub/devices/wire"
)

// Protocol is the MQTT version a lock speaks.
type Protocol uint8

// Protocols. The values are the MQTT protocol levels.
const (
	MQTT311 Protocol = 4 // MQTT 3.1.1 (paho.mqtt.golang): correlation by the payload id
	MQTT5   Protocol = 5 // MQTT 5 (paho.golang): ResponseTopic and CorrelationData
)

func (p Protocol) String() string {
	switch p {
	case MQTT311:
		return "mqtt3.1.1"
	case MQTT5:
		return "mqtt5"
	}
	return fmt.Sprintf("protocol(%d)", uint8(p))
}

// Identity is what a lock is provisioned with: its id (also its MQTT
// username), its secret (its MQTT password) and its command key (which
// verifies the hub's signed commands).
type Identity struct {
	ID         string
	Secret     string
	CommandKey []byte
}

// Defaults of LockConfig.
const (
	DefaultKeepAlive        = 60 * time.Second
	DefaultConnectTimeout   = 10 * time.Second
	DefaultRequestTimeout   = 2 * time.Second
	DefaultHeartbeat        = time.Duration(wire.DefaultHeartbeatS) * time.Second
	DefaultEventResend      = 10 * time.Second
	DefaultEventResendMax   = 5 * time.Minute
	DefaultEventsInFlight   = 16
	DefaultEventQueue       = 1024
	DefaultReconnectMin     = 500 * time.Millisecond
	MaxReconnectDelay       = 30 * time.Second // the cap of the jittered reconnect backoff
	DefaultTimeSyncInterval = time.Minute
	DefaultFirmware         = "locksim-1"
)

// LockConfig describes one virtual lock. Zero fields take the defaults.
type LockConfig struct {
	Identity
	// BrokerURL is the hub's MQTT address: tcp://host:port (also mqtt://) or
	// tls://host:port (also ssl://, mqtts://).
	BrokerURL string
	// TLS is used for tls:// URLs; nil means the system roots.
	TLS      *tls.Config
	Protocol Protocol // zero means MQTT311
	// ClientID defaults to the lock id; it must be the lock id or start with
	// "<lock id>/".
	ClientID string
	// Boot is the boot epoch; zero draws a random non-zero one.
	Boot     uint32
	Firmware string // reported in the state; "" = DefaultFirmware
	// Battery is the battery level reported in the state, 1..100; 0 means
	// mains powered (not reported).
	Battery uint8

	KeepAlive      time.Duration
	ConnectTimeout time.Duration
	// RequestTimeout is how long Tap waits for a reply before it resends the
	// request once (RequestRetry) or gives up.
	RequestTimeout time.Duration
	// RequestRetry sends an unanswered request once more with the same id,
	// as docs/protocol.md §4.4 suggests, before Tap gives up.
	RequestRetry bool
	// Heartbeat is the period of the retained state re-publication.
	Heartbeat time.Duration

	// EventResend is the first resend delay of an unacknowledged door event;
	// it doubles per resend up to EventResendMax.
	EventResend    time.Duration
	EventResendMax time.Duration
	EventsInFlight int // unacknowledged events published at once
	EventQueue     int // events kept unacknowledged before the oldest are dropped

	// ReconnectMin is the first reconnect delay after a lost connection; it
	// doubles per failed attempt, capped at ReconnectMax (at most 30 s), and
	// each delay is jittered.
	ReconnectMin time.Duration
	ReconnectMax time.Duration

	// ClockSkew offsets the lock's clock from the real one at boot. A
	// non-zero skew also marks the clock as untrusted: the issued floor
	// (docs/protocol.md §9.5) is set after the first time answer instead of
	// at boot.
	ClockSkew time.Duration
	// AutoTimeSync sends a time request when a command fails its clock check
	// or a response's time differs from the lock's clock by more than 30 s,
	// at most once per TimeSyncInterval.
	AutoTimeSync     bool
	TimeSyncInterval time.Duration

	// Verifier tunes the command verifier (zero fields: wire defaults).
	Verifier wire.VerifierConfig
}

func (c LockConfig) withDefaults() LockConfig {
	if c.Protocol == 0 {
		c.Protocol = MQTT311
	}
	if c.ClientID == "" {
		c.ClientID = c.ID
	}
	for c.Boot == 0 {
		c.Boot = rand.Uint32()
	}
	if c.Firmware == "" {
		c.Firmware = DefaultFirmware
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.KeepAlive, DefaultKeepAlive)
	def(&c.ConnectTimeout, DefaultConnectTimeout)
	def(&c.RequestTimeout, DefaultRequestTimeout)
	def(&c.Heartbeat, DefaultHeartbeat)
	def(&c.EventResend, DefaultEventResend)
	def(&c.EventResendMax, DefaultEventResendMax)
	def(&c.ReconnectMin, DefaultReconnectMin)
	def(&c.ReconnectMax, MaxReconnectDelay)
	def(&c.TimeSyncInterval, DefaultTimeSyncInterval)
	c.ReconnectMax = min(c.ReconnectMax, MaxReconnectDelay)
	c.ReconnectMin = min(c.ReconnectMin, c.ReconnectMax)
	if c.EventsInFlight <= 0 {
		c.EventsInFlight = DefaultEventsInFlight
	}
	if c.EventQueue <= 0 {
		c.EventQueue = DefaultEventQueue
	}
	c.EventQueue = max(c.EventQueue, c.EventsInFlight)
	return c
}

// validate checks a config after defaults. Messages never carry a secret.
func (c LockConfig) validate() error {
	var errs []error
	if !wire.ValidLockID(c.ID) {
		errs = append(errs, errors.New("id: not a valid lock id ([A-Za-z0-9._-], 1..64)"))
	}
	if c.Secret == "" {
		errs = append(errs, errors.New("secret: required"))
	}
	if len(c.CommandKey) == 0 {
		errs = append(errs, errors.New("command key: required"))
	}
	if c.ClientID != c.ID && (len(c.ClientID) <= len(c.ID) || c.ClientID[:len(c.ID)+1] != c.ID+"/") {
		errs = append(errs, errors.New("client id: must be the lock id or start with \"<lock id>/\""))
	}
	if c.Protocol != MQTT311 && c.Protocol != MQTT5 {
		errs = append(errs, fmt.Errorf("protocol: %d is not 4 (3.1.1) or 5", c.Protocol))
	}
	if c.Battery > 100 {
		errs = append(errs, errors.New("battery: must be 0..100"))
	}
	if _, err := parseBrokerURL(c.BrokerURL); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// parseBrokerURL accepts tcp, mqtt, tls, ssl and mqtts URLs with a host and
// port.
func parseBrokerURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("broker url: %w", err)
	}
	switch u.Scheme {
	case "tcp", "mqtt", "tls", "ssl", "mqtts":
	default:
		return nil, fmt.Errorf("broker url: scheme %q is not tcp, mqtt, tls, ssl or mqtts", u.Scheme)
	}
	if u.Hostname() == "" || u.Port() == "" {
		return nil, errors.New("broker url: host and port required")
	}
	return u, nil
}

func isTLS(u *url.URL) bool { return u.Scheme == "tls" || u.Scheme == "ssl" || u.Scheme == "mqtts" }

// jitter returns a duration uniformly drawn from [d/2, d].
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}
