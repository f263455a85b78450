package hub_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockhub/lockhub/hub"
)

// TestExternalModeConfig: the mqtt.mode and mqtt.external settings are
// validated with their field paths; defaults fill the rest.
func TestExternalModeConfig(t *testing.T) {
	base := minimal + "mqtt:\n  mode: external\n  external:\n"
	cases := []struct {
		name, yaml string
		field      string // "" = valid
	}{
		{"valid", base + "    url: ssl://broker.example.net:8883\n    username: hub\n    password_env: PW\n", ""},
		{"embedded default", minimal, ""},
		{"bad mode", minimal + "mqtt:\n  mode: clustered\n", "mqtt.mode"},
		{"url missing", base + "    username: hub\n", "mqtt.external.url"},
		{"bad scheme", base + "    url: http://broker:80\n", "mqtt.external.url"},
		{"no port", base + "    url: tcp://broker\n", "mqtt.external.url"},
		{"user info in url", base + "    url: tcp://u:p@broker:1883\n", "mqtt.external.url"},
		{"password without username", base + "    url: tcp://broker:1883\n    password_env: PW\n", "mqtt.external.username"},
		{"env and file", base + "    url: tcp://broker:1883\n    username: hub\n    password_env: PW\n    password_file: pw\n", "mqtt.external.password_env"},
		{"cert without key", base + "    url: ssl://broker:8883\n    cert_file: c.pem\n", "mqtt.external.cert_file"},
		{"bad share group", base + "    url: tcp://broker:1883\n    share_group: a/b\n", "mqtt.external.share_group"},
		{"reconnect over 30s", base + "    url: tcp://broker:1883\n    reconnect_max: 1m\n", "mqtt.external.reconnect_max"},
		{"users in external mode", minimal + "mqtt:\n  mode: external\n  external:\n    url: tcp://broker:1883\n  users:\n    - name: bms\n      allow_subscribe: [\"lockhub/v1/locks/+/state\"]\n", "mqtt.users"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := hub.LoadConfig(strings.NewReader(c.yaml))
			if c.field == "" {
				if err != nil {
					t.Fatalf("LoadConfig: %v", err)
				}
				return
			}
			var ce *hub.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a ConfigError on %s", err, c.field)
			}
			if !strings.Contains(err.Error(), c.field) {
				t.Fatalf("err = %v, want one naming %s", err, c.field)
			}
		})
	}
	c := mustLoad(t, base+"    url: tcp://broker:1883\n")
	c.SetDefaults()
	e := c.MQTT.External
	if !c.MQTT.IsExternal() || e.ShareGroup != "lockhub" || e.ClientIDPrefix != "lockhub-" || e.ReconnectMax.Std().Seconds() != 30 {
		t.Errorf("defaults: %+v", e)
	}
}

// TestExternalModeNeedsSharedMasterKey: in external mode a hub never makes
// its own master key: New fails naming the file, and none is created.
func TestExternalModeNeedsSharedMasterKey(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "master.key")
	y := extSiteYAML(dir, "hub-x", key, []string{"door"}, externalMQTT("tcp://127.0.0.1:1", filepath.Join(dir, "pw")))
	_, err := hub.New(mustLoad(t, y), hub.Deps{})
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "copy the first hub's key file") {
		t.Fatalf("New without a master key in external mode: %v", err)
	}
	if _, serr := os.Stat(key); !errors.Is(serr, fs.ErrNotExist) {
		t.Fatalf("a master key was created: %v", serr)
	}
}
