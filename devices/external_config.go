package devices

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"
)

// Defaults and bounds of ExternalConfig.
const (
	DefaultShareGroup           = "lockhub"
	DefaultExternalKeepAlive    = 30 * time.Second
	DefaultExternalConnect      = 10 * time.Second
	DefaultExternalReconnectMin = 500 * time.Millisecond
	// MaxExternalReconnect caps the jittered reconnect backoff.
	MaxExternalReconnect   = 30 * time.Second
	DefaultExternalWorkers = 64
)

// ExternalConfig is the hub's client connection to an external MQTT broker
// (external mode). paho.mqtt.golang speaks MQTT 3.1.1 only: requests are
// correlated by their payload id.
type ExternalConfig struct {
	// URL is tcp://host:port or ssl://host:port (also mqtt://, tls://,
	// mqtts://).
	URL      string
	Username string
	Password string // never logged
	// ClientID must differ per hub (two clients with one id kick each other
	// off the broker). Required.
	ClientID string
	// CAFile verifies the broker's certificate (ssl://); empty = system
	// roots. CertFile and KeyFile (both or neither) are the hub's client
	// certificate.
	CAFile   string
	CertFile string
	KeyFile  string
	// ShareGroup is the shared-subscription group of the req and evt
	// subscriptions ($share/<group>/...): each request goes to one hub of the
	// group. Default "lockhub".
	ShareGroup string

	KeepAlive      time.Duration // default 30 s
	ConnectTimeout time.Duration // default 10 s
	// ReconnectMin is the first reconnect delay; it doubles per failed
	// attempt up to ReconnectMax (default and at most 30 s). Each delay is
	// drawn from [d/2, d] so hubs dropped together do not retry in lockstep.
	ReconnectMin time.Duration
	ReconnectMax time.Duration
	// Workers is the number of goroutines handling lock messages; a lock's
	// messages always go to the same one, in order. Default 64.
	Workers int
}

func (c ExternalConfig) withDefaults() ExternalConfig {
	if c.ShareGroup == "" {
		c.ShareGroup = DefaultShareGroup
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.KeepAlive, DefaultExternalKeepAlive)
	def(&c.ConnectTimeout, DefaultExternalConnect)
	def(&c.ReconnectMin, DefaultExternalReconnectMin)
	def(&c.ReconnectMax, MaxExternalReconnect)
	c.ReconnectMax = min(c.ReconnectMax, MaxExternalReconnect)
	c.ReconnectMin = min(c.ReconnectMin, c.ReconnectMax)
	if c.Workers <= 0 {
		c.Workers = DefaultExternalWorkers
	}
	return c
}

// Validate checks the config. Messages never carry the password.
func (c ExternalConfig) Validate() error {
	var errs []error
	if _, err := ParseExternalURL(c.URL); err != nil {
		errs = append(errs, err)
	}
	if c.ClientID == "" || len(c.ClientID) > 128 {
		errs = append(errs, errors.New("client id: want 1 to 128 bytes"))
	}
	if c.ShareGroup != "" && !validName(c.ShareGroup) {
		errs = append(errs, errors.New("share group: want 1 to 64 characters from [A-Za-z0-9._-]"))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("cert file and key file: set both or neither"))
	}
	if c.Password != "" && c.Username == "" {
		errs = append(errs, errors.New("password without username"))
	}
	if c.ReconnectMax > MaxExternalReconnect {
		errs = append(errs, fmt.Errorf("reconnect max: at most %s", MaxExternalReconnect))
	}
	if c.KeepAlive < 0 || c.ConnectTimeout < 0 || c.ReconnectMin < 0 || c.ReconnectMax < 0 || c.Workers < 0 {
		errs = append(errs, errors.New("negative duration or worker count"))
	}
	return errors.Join(errs...)
}

// ParseExternalURL accepts tcp, mqtt, ssl, tls and mqtts URLs with a host
// and a port, and nothing else (no path, no user info: credentials have
// their own settings).
func ParseExternalURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("url: not a URL")
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts":
	default:
		return nil, fmt.Errorf("url: scheme %q is not tcp, mqtt, ssl, tls or mqtts", u.Scheme)
	}
	if u.Hostname() == "" || u.Port() == "" {
		return nil, errors.New("url: host and port required")
	}
	if u.User != nil {
		return nil, errors.New("url: user info not allowed (use username and password settings)")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("url: no path, query or fragment allowed")
	}
	return u, nil
}

func externalIsTLS(u *url.URL) bool {
	return u.Scheme == "ssl" || u.Scheme == "tls" || u.Scheme == "mqtts"
}

// externalTLS builds the client TLS config, reading the files now so a
// missing file fails at start-up.
func externalTLS(c ExternalConfig, host string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("external broker ca file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("external broker ca file %s: no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("external broker client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
