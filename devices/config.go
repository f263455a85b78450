package devices

import (
	"errors"
	"fmt"
	"strings"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// Defaults applied by BrokerConfig.withDefaults when a field is zero.
const (
	DefaultMaxClients             = 12000
	DefaultMaxClientWritesPending = 512
	DefaultConnectTimeout         = 10 * time.Second
	DefaultClientAuthFailures     = 5
	DefaultClientAuthRefill       = 30 * time.Second
	DefaultRemoteAuthFailures     = 1000
	DefaultRemoteAuthRefill       = 100 * time.Millisecond

	maxPacketSize         = 64 << 10 // bytes; a lock message is far smaller
	maxSessionExpiry      = 24 * 60 * 60
	maxMessageExpiry      = 24 * 60 * 60 // also the life of a retained lock state (locks re-publish it)
	clientNetBufferSize   = 512
	sysTopicResendSeconds = 10

	// lockWritesPending is a lock connection's outbound queue length (at
	// most MaxClientWritesPending): see doc.go for the sizing.
	lockWritesPending = 64
)

// BrokerConfig configures the embedded MQTT broker. A zero field means its
// default; at least one listener address must be set.
type BrokerConfig struct {
	// TCP is the plain MQTT listener, e.g. "0.0.0.0:1883". Empty disables it.
	TCP ListenerConfig `yaml:"tcp"`
	// TLS is the MQTT-over-TLS listener (optionally mutual TLS).
	TLS TLSListenerConfig `yaml:"tls"`
	// WebSocket is the MQTT-over-WebSocket listener (subprotocol "mqtt").
	WebSocket WebSocketConfig `yaml:"websocket"`

	// MaxClients bounds connected clients (0 = DefaultMaxClients). Each client
	// is one open file: keep the process's file limit above it.
	MaxClients int `yaml:"max_clients"`
	// MaxClientWritesPending is the per-client outbound queue length
	// (0 = DefaultMaxClientWritesPending); see doc.go for the sizing.
	MaxClientWritesPending int `yaml:"max_client_writes_pending"`
	// ConnectTimeout closes a socket that has not sent CONNECT within it
	// (0 = DefaultConnectTimeout).
	ConnectTimeout time.Duration `yaml:"connect_timeout"`

	// Users are the MQTT users other than locks (integrations, tools). Their
	// passwords come from BrokerDeps.UserSecret.
	Users []UserConfig `yaml:"users"`

	// AuthThrottle limits failed CONNECT attempts.
	AuthThrottle AuthThrottleConfig `yaml:"auth_throttle"`
}

// ListenerConfig is a listener bound to Address ("host:port"; port 0 picks a
// free port, see Broker.Addrs). Empty Address disables the listener.
type ListenerConfig struct {
	Address string `yaml:"address"`
}

// TLSListenerConfig is the MQTT-over-TLS listener. With ClientCAFile set, a
// client certificate signed by that CA is verified when presented, and its
// subject CN is taken as the lock id (no password needed); with
// RequireClientCert every client must present one.
type TLSListenerConfig struct {
	Address           string `yaml:"address"`
	CertFile          string `yaml:"cert_file"`
	KeyFile           string `yaml:"key_file"`
	ClientCAFile      string `yaml:"client_ca_file"`
	RequireClientCert bool   `yaml:"require_client_cert"`
}

// WebSocketConfig is the MQTT-over-WebSocket listener. Requests carrying an
// Origin header (browsers) are refused unless the origin is listed.
type WebSocketConfig struct {
	Address        string   `yaml:"address"`
	Path           string   `yaml:"path"` // "" = "/mqtt"
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// UserConfig is a non-lock MQTT user. Its client id must be Name or start
// with Name+"/". Publish and Subscribe are MQTT topic filters (wildcards
// allowed) bounding what it may publish and read; nothing else is allowed.
type UserConfig struct {
	Name      string   `yaml:"name"`
	Publish   []string `yaml:"publish"`
	Subscribe []string `yaml:"subscribe"`
}

// AuthThrottleConfig bounds failed CONNECT attempts with two token buckets:
// one per client id (small), one per remote IP address (large, since a
// site's locks may share one NAT address). Each failure takes a token; an
// attempt finding its bucket empty is refused without checking credentials.
type AuthThrottleConfig struct {
	ClientFailures int           `yaml:"client_failures"` // burst per client id (0 = 5)
	ClientRefill   time.Duration `yaml:"client_refill"`   // one token back per interval (0 = 30s)
	RemoteFailures int           `yaml:"remote_failures"` // burst per remote IP (0 = 1000)
	RemoteRefill   time.Duration `yaml:"remote_refill"`   // (0 = 100ms)
}

func (c BrokerConfig) withDefaults() BrokerConfig {
	if c.MaxClients == 0 {
		c.MaxClients = DefaultMaxClients
	}
	if c.MaxClientWritesPending == 0 {
		c.MaxClientWritesPending = DefaultMaxClientWritesPending
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.WebSocket.Path == "" {
		c.WebSocket.Path = "/mqtt"
	}
	t := &c.AuthThrottle
	if t.ClientFailures == 0 {
		t.ClientFailures = DefaultClientAuthFailures
	}
	if t.ClientRefill == 0 {
		t.ClientRefill = DefaultClientAuthRefill
	}
	if t.RemoteFailures == 0 {
		t.RemoteFailures = DefaultRemoteAuthFailures
	}
	if t.RemoteRefill == 0 {
		t.RemoteRefill = DefaultRemoteAuthRefill
	}
	return c
}

// Validate reports every problem in the configuration (after defaults), each
// prefixed with its field path.
func (c BrokerConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	add := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	if c.TCP.Address == "" && c.TLS.Address == "" && c.WebSocket.Address == "" {
		add("tcp.address", "no listener configured (set tcp, tls or websocket address)")
	}
	if c.TLS.Address != "" {
		if c.TLS.CertFile == "" || c.TLS.KeyFile == "" {
			add("tls", "cert_file and key_file are required")
		}
		if c.TLS.RequireClientCert && c.TLS.ClientCAFile == "" {
			add("tls.require_client_cert", "needs client_ca_file")
		}
	}
	if !strings.HasPrefix(c.WebSocket.Path, "/") {
		add("websocket.path", "must start with /")
	}
	if c.MaxClients < 0 {
		add("max_clients", "must not be negative")
	}
	if c.MaxClientWritesPending < 0 || c.MaxClientWritesPending > 1<<16 {
		add("max_client_writes_pending", "must be within 1..65536")
	}
	if c.ConnectTimeout < 0 {
		add("connect_timeout", "must not be negative")
	}
	t := c.AuthThrottle
	if t.ClientFailures < 0 || t.RemoteFailures < 0 || t.ClientRefill < 0 || t.RemoteRefill < 0 {
		add("auth_throttle", "values must not be negative")
	}
	seen := make(map[string]bool, len(c.Users))
	for i, u := range c.Users {
		field := fmt.Sprintf("users[%d]", i)
		switch {
		case !validName(u.Name):
			add(field+".name", "%q is not a valid name ([A-Za-z0-9._-], 1..64)", u.Name)
		case u.Name == mqtt.InlineClientId:
			add(field+".name", "%q is reserved", u.Name)
		case seen[u.Name]:
			add(field+".name", "duplicate user %q", u.Name)
		}
		seen[u.Name] = true
		for j, f := range u.Publish {
			if !mqtt.IsValidFilter(f, false) || isShared(f) {
				add(fmt.Sprintf("%s.publish[%d]", field, j), "invalid topic filter %q", f)
			}
		}
		for j, f := range u.Subscribe {
			if !mqtt.IsValidFilter(f, false) || isShared(f) {
				add(fmt.Sprintf("%s.subscribe[%d]", field, j), "invalid topic filter %q", f)
			}
		}
	}
	return errors.Join(errs...)
}

// DefaultBrokerConfig is a plain TCP listener on port 1883 with every
// default filled in.
func DefaultBrokerConfig() BrokerConfig {
	return BrokerConfig{TCP: ListenerConfig{Address: ":1883"}}.withDefaults()
}
