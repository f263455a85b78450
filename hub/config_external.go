package hub

import (
	"time"

	"github.com/lockhub/lockhub/devices"
)

// MQTT modes (mqtt.mode).
const (
	// MQTTModeEmbedded runs the embedded broker (the default): locks connect
	// to the hub itself.
	MQTTModeEmbedded = "embedded"
	// MQTTModeExternal connects the hub as a client to an external broker
	// (EMQX, HiveMQ, VerneMQ, Mosquitto) shared by several hubs.
	MQTTModeExternal = "external"
)

// ExternalMQTTConfig is the connection to an external broker (mqtt.mode:
// external). The broker authenticates the locks and enforces their ACLs
// (docs/scale-out.md); mqtt.listeners, mqtt.users, mqtt.max_clients and
// mqtt.auth_failures do not apply.
type ExternalMQTTConfig struct {
	// URL is tcp://host:port or ssl://host:port. Required in external mode.
	URL string `yaml:"url"`
	// Username is the hub's MQTT user on the broker (one for all hubs, or
	// one each). The password comes from an environment variable or a file.
	Username     string `yaml:"username"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	// ClientIDPrefix precedes site.id in the hub's MQTT client id, which
	// must differ per hub: give each hub its own site.id. Default "lockhub-".
	ClientIDPrefix string `yaml:"client_id_prefix"`
	// CAFile verifies the broker (ssl://; default: system roots). CertFile
	// and KeyFile (both or neither) are the hub's client certificate.
	// Relative to data_dir.
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ShareGroup names the shared subscription the hubs of a site answer
	// requests through. Default "lockhub".
	ShareGroup string `yaml:"share_group"`
	// KeepAlive is the MQTT keep-alive. Default 30s.
	KeepAlive Duration `yaml:"keep_alive"`
	// ReconnectMax caps the jittered reconnect backoff. Default and at most 30s.
	ReconnectMax Duration `yaml:"reconnect_max"`
}

// IsExternal reports whether the hub runs against an external broker.
func (m *MQTTConfig) IsExternal() bool { return m.Mode == MQTTModeExternal }

// Password is the reference to the hub's password on the external broker.
func (e *ExternalMQTTConfig) Password() SecretRef {
	return SecretRef{Field: "mqtt.external.password", Env: e.PasswordEnv, File: e.PasswordFile}
}

func (e *ExternalMQTTConfig) setDefaults() {
	setStr(&e.ClientIDPrefix, "lockhub-")
	setStr(&e.ShareGroup, devices.DefaultShareGroup)
	setDur(&e.KeepAlive, devices.DefaultExternalKeepAlive)
	setDur(&e.ReconnectMax, devices.MaxExternalReconnect)
}

func (v *validator) mqttExternal() {
	m := &v.c.MQTT
	switch m.Mode {
	case "", MQTTModeEmbedded:
		return
	case MQTTModeExternal:
	default:
		v.p.addf("mqtt.mode", "%q: want embedded or external", truncate(m.Mode))
		return
	}
	e := &m.External
	if e.URL == "" {
		v.p.addf("mqtt.external.url", "%w in external mode", ErrRequired)
	} else if _, err := devices.ParseExternalURL(e.URL); err != nil {
		v.p.add("mqtt.external.url", err)
	}
	if len(m.Users) > 0 {
		v.p.addf("mqtt.users", "not used in external mode: give integration users their ACLs on the broker")
	}
	if (e.PasswordEnv != "" || e.PasswordFile != "") && e.Username == "" {
		v.p.addf("mqtt.external.username", "%w with a password", ErrRequired)
	}
	if e.PasswordEnv != "" && e.PasswordFile != "" {
		v.p.addf("mqtt.external.password_env", "set password_env or password_file, not both")
	}
	if (e.CertFile == "") != (e.KeyFile == "") {
		v.p.addf("mqtt.external.cert_file", "set cert_file and key_file together")
	}
	if e.ShareGroup != "" {
		v.id("mqtt.external.share_group", e.ShareGroup)
	}
	if len(e.ClientIDPrefix) > 64 {
		v.p.addf("mqtt.external.client_id_prefix", "at most 64 bytes")
	}
	v.duration("mqtt.external.keep_alive", e.KeepAlive, time.Second, 10*time.Minute)
	v.duration("mqtt.external.reconnect_max", e.ReconnectMax, time.Second, devices.MaxExternalReconnect)
}

// externalConfig maps mqtt.external onto the devices client's config; the
// password is resolved by the caller.
func externalConfig(cfg *Config, password string) devices.ExternalConfig {
	e := cfg.MQTT.External
	ec := devices.ExternalConfig{
		URL:          e.URL,
		Username:     e.Username,
		Password:     password,
		ClientID:     e.ClientIDPrefix + cfg.Site.ID,
		ShareGroup:   e.ShareGroup,
		KeepAlive:    e.KeepAlive.Std(),
		ReconnectMax: e.ReconnectMax.Std(),
	}
	for _, p := range []struct {
		dst *string
		src string
	}{
		{&ec.CAFile, e.CAFile}, {&ec.CertFile, e.CertFile}, {&ec.KeyFile, e.KeyFile},
	} {
		if p.src != "" {
			*p.dst = cfg.ResolvePath(p.src)
		}
	}
	return ec
}
