package hub

import "time"

// MQTTConfig is the lock network: the embedded broker, or (mode external)
// the connection to an external one.
type MQTTConfig struct {
	// Mode is embedded (default) or external (see ExternalMQTTConfig).
	Mode string `yaml:"mode"`
	// External is the external broker, used in external mode only.
	External  ExternalMQTTConfig `yaml:"external"`
	Listeners MQTTListeners      `yaml:"listeners"`
	// MaxClients bounds concurrent MQTT connections. Zero means 12000.
	MaxClients int `yaml:"max_clients"`
	// Users are integration clients (tools, building systems) with explicit
	// ACLs. Their passwords are derived from the master key; nothing is
	// stored here. A user name must not be a lock id.
	Users []MQTTUser `yaml:"users"`
	// Keypad locks a lock's keypad out after repeated wrong PINs.
	Keypad KeypadConfig `yaml:"keypad"`
	// AuthFailures throttles failed MQTT logins per source address.
	AuthFailures AuthThrottleConfig `yaml:"auth_failures"`
}

// MQTTListeners are the broker's listeners. At least one must be enabled.
type MQTTListeners struct {
	TCP       TCPListener       `yaml:"tcp"`
	TLS       TLSListener       `yaml:"tls"`
	WebSocket WebSocketListener `yaml:"websocket"`
}

// TCPListener is plain MQTT.
type TCPListener struct {
	// Address is host:port. Empty means 127.0.0.1:1883.
	Address string `yaml:"address"`
	// Disabled turns the plain listener off (TLS-only sites).
	Disabled bool `yaml:"disabled"`
}

// TLSListener is MQTT over TLS, optionally with client certificates. It is
// enabled when Address is set.
type TLSListener struct {
	Address  string `yaml:"address"`   // host:port; empty: no TLS listener
	CertFile string `yaml:"cert_file"` // required with Address; relative to data_dir
	KeyFile  string `yaml:"key_file"`  // required with Address; relative to data_dir
	// ClientCAFile enables mutual TLS: client certificates signed by these
	// CAs identify locks by common name (see LockConfig.TLSIdentity).
	ClientCAFile string `yaml:"client_ca_file"`
	// RequireClientCert refuses connections without a valid client
	// certificate; it needs ClientCAFile.
	RequireClientCert bool `yaml:"require_client_cert"`
}

// WebSocketListener is MQTT over WebSocket, enabled when Address is set.
type WebSocketListener struct {
	Address string `yaml:"address"` // host:port; empty: no WebSocket listener
}

// MQTTUser is an integration user and its topic ACL.
type MQTTUser struct {
	Name           string   `yaml:"name"`            // MQTT username, an id
	AllowPublish   []string `yaml:"allow_publish"`   // topic filters it may publish to
	AllowSubscribe []string `yaml:"allow_subscribe"` // topic filters it may subscribe to
}

// KeypadConfig is the keypad lockout for wrong PINs.
type KeypadConfig struct {
	// MaxFailures wrong PINs within Window lock the keypad out. Zero means 5.
	MaxFailures int `yaml:"max_failures"`
	// Window is the span failures are counted over. Zero means 5m.
	Window Duration `yaml:"window"`
	// Lockout is how long the keypad stays locked out. Zero means 5m.
	Lockout Duration `yaml:"lockout"`
}

// AuthThrottleConfig blocks a source address after failed logins.
type AuthThrottleConfig struct {
	// MaxFailures failed logins within Window block the address. Zero means 10.
	MaxFailures int `yaml:"max_failures"`
	// Window is the span failures are counted over. Zero means 1m.
	Window Duration `yaml:"window"`
	// Block is how long the address is refused. Zero means 5m.
	Block Duration `yaml:"block"`
}

func (m *MQTTConfig) setDefaults() {
	setStr(&m.Mode, MQTTModeEmbedded)
	m.External.setDefaults()
	setStr(&m.Listeners.TCP.Address, "127.0.0.1:1883")
	setInt(&m.MaxClients, 12000)
	setInt(&m.Keypad.MaxFailures, 5)
	setDur(&m.Keypad.Window, 5*time.Minute)
	setDur(&m.Keypad.Lockout, 5*time.Minute)
	setInt(&m.AuthFailures.MaxFailures, 10)
	setDur(&m.AuthFailures.Window, time.Minute)
	setDur(&m.AuthFailures.Block, 5*time.Minute)
}

// HTTPConfig is the status page, admin API, metrics and Nexudus endpoints.
type HTTPConfig struct {
	// Address is host:port. Empty means 127.0.0.1:8080. On an address that
	// is not loopback a viewer token is required.
	Address string `yaml:"address"`
	// TLSCertFile and TLSKeyFile serve HTTPS (both or neither; relative to
	// data_dir).
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// NexudusAddress is a separate host:port for /nexudus/* (the Custom ACS
	// webhook and access-groups endpoint), to expose through a proxy alone.
	// Empty: served on Address.
	NexudusAddress string `yaml:"nexudus_address"`
	// The viewer token opens the status page and read-only API; the admin
	// token also opens admin actions. Each comes from an environment
	// variable (_env) or a file (_file), never inline. Without an admin
	// token the admin API is served only on a loopback address.
	ViewerTokenEnv  string `yaml:"viewer_token_env"`
	ViewerTokenFile string `yaml:"viewer_token_file"`
	AdminTokenEnv   string `yaml:"admin_token_env"`
	AdminTokenFile  string `yaml:"admin_token_file"`
}

func (h *HTTPConfig) setDefaults() { setStr(&h.Address, "127.0.0.1:8080") }

// ViewerToken is the reference to the viewer token.
func (h *HTTPConfig) ViewerToken() SecretRef {
	return SecretRef{Field: "http.viewer_token", Env: h.ViewerTokenEnv, File: h.ViewerTokenFile}
}

// AdminToken is the reference to the admin token.
func (h *HTTPConfig) AdminToken() SecretRef {
	return SecretRef{Field: "http.admin_token", Env: h.AdminTokenEnv, File: h.AdminTokenFile}
}

// UpstreamConfig is where event logs are uploaded. Upload is off when URL
// is empty; events are still kept locally for the domain's retention.
type UpstreamConfig struct {
	URL string `yaml:"url"` // https (http only to a loopback host)
	// Bearer token for the upstream, from an environment variable or a
	// file. Required with URL.
	TokenEnv  string `yaml:"token_env"`
	TokenFile string `yaml:"token_file"`
	// BatchMaxEvents bounds the events in one upload. Zero means 1000.
	BatchMaxEvents int `yaml:"batch_max_events"`
	// BatchMaxBytes bounds one upload's body. Zero means 1MiB.
	BatchMaxBytes ByteSize `yaml:"batch_max_bytes"`
	// Interval is the pause between uploads when the outbox is drained.
	// Zero means 10s.
	Interval Duration `yaml:"interval"`
	// OutboxMaxEvents caps the events waiting for upload (about 200 bytes
	// each on disk); beyond it the oldest are dropped and a gap record says
	// so. Zero means 2,000,000.
	OutboxMaxEvents int `yaml:"outbox_max_events"`
}

func (u *UpstreamConfig) setDefaults() {
	setInt(&u.BatchMaxEvents, 1000)
	if u.BatchMaxBytes == 0 {
		u.BatchMaxBytes = 1 << 20
	}
	setDur(&u.Interval, 10*time.Second)
	setInt(&u.OutboxMaxEvents, 2_000_000)
}

// Token is the reference to the upstream bearer token.
func (u *UpstreamConfig) Token() SecretRef {
	return SecretRef{Field: "upstream.token", Env: u.TokenEnv, File: u.TokenFile}
}
