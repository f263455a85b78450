package hub_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lockhub/lockhub/hub"
)

func TestLoadConfigDefaults(t *testing.T) {
	c := mustLoad(t, minimal)
	checks := []struct {
		name      string
		got, want any
	}{
		{"site.data_dir", c.Site.DataDir, hub.DefaultDataDir},
		{"master key path", c.MasterKeyPath(), "/var/lib/lockhub/master.key"},
		{"site.clock_tolerance", c.Site.ClockTolerance.Std(), 5 * time.Minute},
		{"site.durability", c.Site.Durability, hub.DurabilityProcess},
		{"site.flush_interval", c.Site.FlushInterval.Std(), 50 * time.Millisecond},
		{"domains[0].retention", c.Domains[0].Retention.Std(), 30 * 24 * time.Hour},
		{"locks[0].key_generation", c.Locks[0].KeyGeneration, uint32(1)},
		{"locks[0].offline_horizon", c.Locks[0].OfflineHorizon.Std(), 7 * 24 * time.Hour},
		{"locks[0].unlock_duration", c.Locks[0].UnlockDuration.Std(), 5 * time.Second},
		{"locks[0].fail_mode", c.Locks[0].FailMode, "secure"},
		{"mqtt tcp", c.MQTT.Listeners.TCP.Address, "127.0.0.1:1883"},
		{"mqtt.max_clients", c.MQTT.MaxClients, 12000},
		{"mqtt.keypad.max_failures", c.MQTT.Keypad.MaxFailures, 5},
		{"mqtt.keypad.window", c.MQTT.Keypad.Window.Std(), 5 * time.Minute},
		{"mqtt.keypad.lockout", c.MQTT.Keypad.Lockout.Std(), 5 * time.Minute},
		{"http.address", c.HTTP.Address, "127.0.0.1:8080"},
		{"nexudus.base_url", c.Nexudus.BaseURL, hub.DefaultNexudusURL},
		{"nexudus margin before", c.Nexudus.MarginBefore(), 15 * time.Minute},
		{"nexudus.booking_margin_after", c.Nexudus.BookingMarginAfter.Std(), time.Duration(0)},
		{"nexudus.prestage", c.Nexudus.Prestage.Std(), 7 * 24 * time.Hour},
		{"nexudus.incremental", c.Nexudus.Incremental, "@every 1m"},
		{"nexudus.time_mode", c.Nexudus.TimeMode, "auto"},
		{"nexudus.requests_per_minute", c.Nexudus.RequestsPerMinute, 80},
		{"nexudus.burst", c.Nexudus.Burst, 8},
		{"upstream.interval", c.Upstream.Interval.Std(), 10 * time.Second},
		{"upstream.batch_max_bytes", c.Upstream.BatchMaxBytes, hub.ByteSize(1 << 20)},
		{"upstream.outbox_max_events", c.Upstream.OutboxMaxEvents, 2_000_000},
		{"nexudus enabled", c.NexudusEnabled(), false},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestZeroMarginBeforeIsKept(t *testing.T) {
	c := mustLoad(t, minimal+"nexudus:\n  booking_margin_before: 0s\n")
	if got := c.Nexudus.MarginBefore(); got != 0 {
		t.Errorf("MarginBefore() = %v, want 0 when set to 0s", got)
	}
}

func TestMasterKeyPathRelativeToDataDir(t *testing.T) {
	c := mustLoad(t, strings.Replace(minimal, "id: test-hub", "id: test-hub\n  data_dir: ./.lockhub-x\n  master_key_file: keys/site.key", 1))
	if got, want := c.MasterKeyPath(), filepath.Join(".lockhub-x", "keys", "site.key"); got != want {
		t.Errorf("MasterKeyPath() = %q, want %q", got, want)
	}
	if got := c.ResolvePath("/etc/lockhub/x"); got != "/etc/lockhub/x" {
		t.Errorf("ResolvePath(abs) = %q", got)
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		str  string
	}{
		{"0", 0, "0s"},
		{"50ms", 50 * time.Millisecond, "50ms"},
		{"90s", 90 * time.Second, "1m30s"},
		{"5m", 5 * time.Minute, "5m"},
		{"2h", 2 * time.Hour, "2h"},
		{"1h30m", 90 * time.Minute, "1h30m"},
		{"30d", 30 * 24 * time.Hour, "30d"},
		{"7d12h", 7*24*time.Hour + 12*time.Hour, "7d12h"},
		{"1d0h30m", 24*time.Hour + 30*time.Minute, "1d30m"},
		{"-1d", -24 * time.Hour, "-1d"},
		{"-5m", -5 * time.Minute, "-5m"},
		{" 10s ", 10 * time.Second, "10s"},
	} {
		got, err := hub.ParseDuration(tc.in)
		if err != nil || got.Std() != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got.Std(), err, tc.want)
			continue
		}
		if s := got.String(); s != tc.str {
			t.Errorf("ParseDuration(%q).String() = %q, want %q", tc.in, s, tc.str)
		}
		if back, err := hub.ParseDuration(got.String()); err != nil || back != got {
			t.Errorf("round trip of %q: %v, %v", tc.in, back, err)
		}
	}
	for _, in := range []string{"", "5", "d", "1.5d", "7days", "d5h", "1d-5h", "--1d", "-+1d", "+-1d", "5x", "99999999999d", "1d" + strings.Repeat("9", 30) + "h"} {
		if got, err := hub.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0}, {"512", 512}, {"512B", 512}, {"1KiB", 1024}, {"64MiB", 64 << 20}, {"1 GiB", 1 << 30},
		{"2TiB", 2 << 40}, {"1KB", 1000}, {"3MB", 3e6}, {"1GB", 1e9},
	} {
		got, err := hub.ParseByteSize(tc.in)
		if err != nil || int64(got) != tc.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
		if back, err := hub.ParseByteSize(got.String()); err != nil || back != got {
			t.Errorf("round trip of %q via %q: %v, %v", tc.in, got.String(), back, err)
		}
	}
	for _, in := range []string{"", "-1", "1.5MiB", "MiB", "1 XB", "9999999999TiB", "1kib"} {
		if got, err := hub.ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) = %d, want an error", in, got)
		}
	}
}

// TestSpansMidnight: a window whose until is not after its from is accepted
// and runs into the next day; until 00:00 is the end of the day.
func TestSpansMidnight(t *testing.T) {
	c := mustLoad(t, minimal+`keys:
  - id: night
    domain: hq
    locks: [door]
    schedule:
      - {days: [fri], from: "22:00", until: "06:00"}
      - {days: [mon], from: "20:00", until: "00:00"}
`)
	r, err := c.PolicyRecords(stubDigest)
	if err != nil {
		t.Fatal(err)
	}
	s := r.Access[0].Schedule
	if len(s.Windows) != 2 || !s.Windows[0].SpansMidnight() || s.Windows[1].End != 24*60 {
		t.Fatalf("windows = %+v, want fri 22:00-06:00 spanning midnight and mon 20:00-24:00", s.Windows)
	}
	zone := r.Domains[0].Zone
	for _, tc := range []struct {
		at   string
		open bool
	}{
		{"2026-03-06T23:30:00+01:00", true},  // Friday night
		{"2026-03-07T05:59:00+01:00", true},  // Saturday early morning
		{"2026-03-07T06:00:00+01:00", false}, // window ended
		{"2026-03-06T21:59:00+01:00", false}, // Friday before the window
		{"2026-03-09T23:59:00+01:00", true},  // Monday until midnight
		{"2026-03-10T00:00:00+01:00", false}, // Tuesday
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := s.At(at, zone) == 0; got != tc.open {
			t.Errorf("open at %s = %v, want %v", tc.at, got, tc.open)
		}
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := hub.DefaultConfig()
	c.Site.ID = "x"
	c.Domains = []hub.DomainConfig{{ID: "hq", Zone: "UTC"}}
	c.Locks = []hub.LockConfig{
		{ID: "a", Domain: "hq", OfflineHorizon: -1},
		{ID: "b", Domain: "hq", UnlockDuration: -1},
		{ID: "c", Domain: "nowhere"},
	}
	err := c.Validate()
	var ce *hub.ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 3 {
		t.Fatalf("Validate() = %v, want 3 problems", err)
	}
	if !errors.Is(err, hub.ErrNotPositive) {
		t.Errorf("errors.Is(err, ErrNotPositive) = false")
	}
	want := []string{"locks[0].offline_horizon", "locks[1].unlock_duration", "locks[2].domain"}
	for i, p := range ce.Problems {
		if p.Field != want[i] {
			t.Errorf("problem %d field = %q, want %q", i, p.Field, want[i])
		}
	}
}

// site.stage_dir is empty (the default), none, or an absolute path.
func TestStageDirValidation(t *testing.T) {
	for dir, ok := range map[string]bool{"": true, hub.StageNone: true, "/dev/shm": true, "/run/lockhub": true,
		"shm": false, "./stage": false, "none/x": false, "/dev/shm\x00": false} {
		c := mustLoad(t, minimal)
		c.Site.StageDir = dir
		err := c.Validate()
		if ok != (err == nil) {
			t.Errorf("stage_dir %q: Validate() = %v, want ok %v", dir, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), "site") {
			t.Errorf("stage_dir %q: error %v does not name the field", dir, err)
		}
	}
}

// TestValidateBeforeDefaults: zero fields count as defaults, so a config
// built in code validates the same before and after SetDefaults.
func TestValidateBeforeDefaults(t *testing.T) {
	c := &hub.Config{
		Site:    hub.SiteConfig{ID: "x"},
		Domains: []hub.DomainConfig{{ID: "hq", Zone: "UTC"}},
		Locks:   []hub.LockConfig{{ID: "a", Domain: "hq"}},
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate before SetDefaults: %v", err)
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate after SetDefaults: %v", err)
	}
}

func TestLoadConfigLimits(t *testing.T) {
	big := minimal + "#" + strings.Repeat("x", hub.MaxConfigSize) + "\n"
	if _, err := hub.LoadConfig(strings.NewReader(big)); err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Errorf("oversize: err = %v, want larger than 4 MiB", err)
	}
	atLimit := minimal + "#" + strings.Repeat("x", hub.MaxConfigSize-len(minimal)-2) + "\n"
	if len(atLimit) != hub.MaxConfigSize {
		t.Fatalf("test input is %d bytes", len(atLimit))
	}
	if _, err := hub.LoadConfig(strings.NewReader(atLimit)); err != nil {
		t.Errorf("config of exactly MaxConfigSize: %v", err)
	}
	readErr := errors.New("disk on fire")
	if _, err := hub.LoadConfig(iotest.ErrReader(readErr)); !errors.Is(err, readErr) {
		t.Errorf("read error: err = %v, want it wrapped", err)
	}
	for _, in := range []string{"", "\n\n  \n", "# only a comment\n", "---\n"} {
		if _, err := hub.LoadConfig(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "config is empty") {
			t.Errorf("LoadConfig(%q) = %v, want config is empty", in, err)
		}
	}
}

func TestLoadConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.LoadConfigFile(path); err != nil {
		t.Errorf("LoadConfigFile: %v", err)
	}
	if _, err := hub.LoadConfigFile(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
	if _, err := hub.LoadConfigFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: err = %v, want not a regular file", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(minimal+"bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.LoadConfigFile(bad); err == nil || !strings.Contains(err.Error(), bad+": invalid config") {
		t.Errorf("bad file: err = %v, want the file name and the problem", err)
	}
}

// TestYAMLRoundTrip marshals a loaded config and loads it again: every field
// keeps its value, so the yaml tags and the Duration/ByteSize marshallers
// agree with the decoder.
func TestYAMLRoundTrip(t *testing.T) {
	c, err := hub.LoadConfigFile(filepath.Join("..", "configs", "hub.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	back := mustLoad(t, string(out))
	again, err := yaml.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(out) {
		t.Errorf("round trip changed the config:\n%s\nbecame\n%s", out, again)
	}
	if back.Nexudus.Prestage != c.Nexudus.Prestage || back.Upstream.OutboxMaxEvents != c.Upstream.OutboxMaxEvents ||
		back.Locks[0].OfflineHorizon != c.Locks[0].OfflineHorizon {
		t.Errorf("durations or sizes changed in the round trip")
	}
}

func TestCronParserNeverPanics(t *testing.T) {
	for _, spec := range []string{"CRON_TZ=Europe/Berlin", "TZ=", "CRON_TZ=", "@every", "@every never", "0 0 0 0 0 0 0", "", "TZ=Nowhere/City 0 * * * *", "* * * *"} {
		if _, err := (hub.CronParser{}).Parse(spec); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", spec)
		}
	}
	for _, spec := range []string{"@every 1m", "0 */6 * * *", "30 0 3 * * *", "CRON_TZ=Europe/Stockholm 0 3 * * *", "@hourly"} {
		if _, err := (hub.CronParser{}).Parse(spec); err != nil {
			t.Errorf("Parse(%q): %v", spec, err)
		}
	}
}

var _ io.Reader = iotest.ErrReader(nil)
