package hub

import (
	"path/filepath"
	"slices"
	"time"

	_ "time/tzdata" // IANA zones must load on a bare box without zoneinfo
)

// Config is the site configuration, read from one YAML file (see
// configs/hub.example.yaml for every field with its default). A zero field
// means its default, as each field's comment says; SetDefaults fills them in
// and LoadConfig calls it.
//
// The file holds raw credentials of config members (cards, PINs), so it must
// be readable by the hub's user only. Secrets for other systems never appear
// in it: only the names of environment variables or files holding them
// (fields ending in _env and _file), resolved by Secret.
type Config struct {
	Site     SiteConfig     `yaml:"site"`
	Domains  []DomainConfig `yaml:"domains"`
	Locks    []LockConfig   `yaml:"locks"`
	Keys     []KeyConfig    `yaml:"keys"`
	Members  []MemberConfig `yaml:"members"`
	Grants   []GrantConfig  `yaml:"grants"`
	MQTT     MQTTConfig     `yaml:"mqtt"`
	HTTP     HTTPConfig     `yaml:"http"`
	Nexudus  NexudusConfig  `yaml:"nexudus"`
	Upstream UpstreamConfig `yaml:"upstream"`
}

// SiteConfig is about the hub itself.
type SiteConfig struct {
	// ID names this hub; it is part of every event's idempotency key, so it
	// must be unique among the hubs that upload to one upstream and must not
	// change. Required.
	ID string `yaml:"id"`
	// DataDir holds the store and the key files. Relative paths are relative
	// to the hub's working directory. Empty means DefaultDataDir.
	DataDir string `yaml:"data_dir"`
	// MasterKeyFile is the site master key (made on first start, readable by
	// the hub only). Relative paths are relative to DataDir. Empty means
	// "master.key", that is <data_dir>/master.key.
	MasterKeyFile string `yaml:"master_key_file"`
	// ClockTolerance is how far the clock may run behind the newest recorded
	// decision time before the hub refuses to decide. Zero means 5m.
	ClockTolerance Duration `yaml:"clock_tolerance"`
	// Durability is DurabilityProcess or DurabilityDisk. Empty means process.
	Durability Durability `yaml:"durability"`
	// FlushInterval bounds how long an acknowledged event may stay in memory
	// before it is synced to disk under process durability. Zero means 50ms.
	FlushInterval Duration `yaml:"flush_interval"`
	// StageDir is where process durability keeps the event log's stage: a
	// ring on a memory filesystem that appends are committed to, so a reply
	// never waits for the disk (docs/store.md). Empty means systemd's
	// $RUNTIME_DIRECTORY, else /dev/shm, when it is a memory filesystem with
	// room (else none); StageNone means none;
	// any other value must be an absolute path, and the hub does not start
	// without the stage there.
	StageDir string `yaml:"stage_dir"`
}

// StageNone as site.stage_dir: process-durable appends write the event
// log's Badger directly (and wait while it syncs).
const StageNone = "none"

// Durability says when an access reply may be sent.
type Durability string

// Durability settings.
const (
	// DurabilityProcess: the event is in the store before the reply and on
	// disk within FlushInterval; survives the hub being killed.
	DurabilityProcess Durability = "process"
	// DurabilityDisk: the reply waits for the fsync (shared by group commit);
	// survives a power cut.
	DurabilityDisk Durability = "disk"
)

// DomainConfig is a site area with its own time zone and retention.
type DomainConfig struct {
	// ID is the domain's id ([A-Za-z0-9._-], 1 to 64 characters). Required.
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Zone is an IANA time zone name such as Europe/Stockholm; schedules are
	// evaluated in it. Required ("Local" is refused: it depends on the box).
	Zone string `yaml:"zone"`
	// Retention is how long personal data of event logs is kept, between 1d
	// and MaxRetention. Zero means 30d.
	Retention Duration `yaml:"retention"`
	// NexudusBusiness is the uniqueId of the Nexudus business (location) this
	// domain follows. Empty: not synced from Nexudus.
	NexudusBusiness string `yaml:"nexudus_business"`
}

// LockConfig is one lock or reader and its per-door policy.
type LockConfig struct {
	// ID is the lock's id and MQTT username ([A-Za-z0-9._-], 1 to 64
	// characters). Required.
	ID     string `yaml:"id"`
	Domain string `yaml:"domain"` // required
	Name   string `yaml:"name"`
	// KeyGeneration is mixed into the lock's derived secrets; raise it to
	// re-issue them. Zero means 1.
	KeyGeneration uint32 `yaml:"key_generation"`
	// OfflineHorizon is how long after the last successful Nexudus pass the
	// lock still trusts open-ended Nexudus grants. Zero means 7d.
	OfflineHorizon Duration `yaml:"offline_horizon"`
	// CheckIn makes granted unlocks post a Nexudus check-in.
	CheckIn bool `yaml:"check_in"`
	// UnlockDuration is how long the door stays open after a grant, at most
	// 1h. Zero means 5s.
	UnlockDuration Duration `yaml:"unlock_duration"`
	// FailMode is "secure" (stay locked without the hub) or "safe" (unlock
	// without the hub). Empty means secure.
	FailMode string `yaml:"fail_mode"`
	// OfficeHours names a key (of the same domain, containing this lock)
	// whose schedule keeps the door unlocked. Empty: none.
	OfficeHours string `yaml:"office_hours"`
	// TLSIdentity is the client-certificate common name of the lock when it
	// differs from the lock id. Empty means the lock id.
	TLSIdentity string `yaml:"tls_identity"`
}

// KeyConfig is an access (a Nexudus access group): locks plus time
// restrictions.
type KeyConfig struct {
	ID     string   `yaml:"id"`     // required
	Domain string   `yaml:"domain"` // required
	Name   string   `yaml:"name"`
	Locks  []string `yaml:"locks"` // lock ids of the same domain; at least one
	// Schedule lists weekly windows in the domain's zone. Empty means always
	// open (except holidays).
	Schedule []WindowConfig `yaml:"schedule"`
	// Holidays are whole days (YYYY-MM-DD, in the domain's zone) on which the
	// key does not open.
	Holidays []string `yaml:"holidays"`
}

// WindowConfig is a weekly window: on each listed day from From until Until.
// An Until not after From spans midnight into the next day (22:00 to 06:00);
// Until "24:00" or "00:00" is the end of the day.
type WindowConfig struct {
	// Days: mon, tue, ..., ranges such as mon-fri, or all, weekdays, weekends.
	Days  []string `yaml:"days"`
	From  string   `yaml:"from"`  // HH:MM, 00:00 to 23:59
	Until string   `yaml:"until"` // HH:MM, 00:00 to 24:00
}

// MemberConfig is a member defined by the site (staff, cleaners) rather than
// synced from Nexudus. Its raw credentials live only in this file; the store
// keeps keyed digests.
type MemberConfig struct {
	ID     string `yaml:"id"`     // required; must not clash with Nexudus member ids
	Domain string `yaml:"domain"` // required
	Name   string `yaml:"name"`
	Email  string `yaml:"email"`
	// Status is active, inactive, suspended or archived. Empty means active.
	Status    string   `yaml:"status"`
	Cards     []string `yaml:"cards"`      // card ids, hex (see policy.Canonical)
	Fobs      []string `yaml:"fobs"`       // fob ids, hex
	PIN       string   `yaml:"pin"`        // 4 to 12 digits; unique in the domain
	PhoneKeys []string `yaml:"phone_keys"` // 16 to 128 printable ASCII characters
}

// GrantConfig gives a config member a key, optionally for a window.
type GrantConfig struct {
	Member string `yaml:"member"` // a config member id; required
	Key    string `yaml:"key"`    // a key id of the member's domain; required
	// From and Until are RFC 3339 timestamps bounding the grant [From,
	// Until). Empty From: since ever; empty Until: open-ended.
	From  string `yaml:"from"`
	Until string `yaml:"until"`
	// Reference names the grant; empty means "<member>/<key>". References
	// must be unique.
	Reference string `yaml:"reference"`
}

// Defaults and limits of the site configuration.
const (
	DefaultDataDir       = "/var/lib/lockhub"
	DefaultFlushInterval = 50 * time.Millisecond
	DefaultKeyGeneration = 1
	DefaultFailMode      = "secure"
	DefaultMemberStatus  = "active"
	MaxRetention         = 365 * 24 * time.Hour
	MinRetention         = 24 * time.Hour
	MaxUnlockDuration    = time.Hour
	MaxOfflineHorizon    = 365 * 24 * time.Hour
	MaxClockTolerance    = time.Hour
	MaxFlushInterval     = 10 * time.Second
	masterKeyFileName    = "master.key"
	maxIDLen             = 64
	maxReferenceLen      = 128
	defaultReferenceSep  = "/"
)

// DefaultConfig returns a configuration with every default filled in. It is
// not valid by itself: a site id, domains and locks must be added.
func DefaultConfig() *Config {
	c := &Config{}
	c.SetDefaults()
	return c
}

// SetDefaults replaces every zero field that has a default by that default.
// It is idempotent; LoadConfig calls it before Validate.
func (c *Config) SetDefaults() {
	s := &c.Site
	setStr(&s.DataDir, DefaultDataDir)
	setStr(&s.MasterKeyFile, masterKeyFileName)
	setDur(&s.ClockTolerance, 5*time.Minute)
	setStr((*string)(&s.Durability), string(DurabilityProcess))
	setDur(&s.FlushInterval, DefaultFlushInterval)
	for i := range c.Domains {
		setDur(&c.Domains[i].Retention, 30*24*time.Hour)
	}
	for i := range c.Locks {
		l := &c.Locks[i]
		if l.KeyGeneration == 0 {
			l.KeyGeneration = DefaultKeyGeneration
		}
		setDur(&l.OfflineHorizon, 7*24*time.Hour)
		setDur(&l.UnlockDuration, 5*time.Second)
		setStr(&l.FailMode, DefaultFailMode)
	}
	for i := range c.Members {
		setStr(&c.Members[i].Status, DefaultMemberStatus)
	}
	for i := range c.Grants {
		g := &c.Grants[i]
		if g.Reference == "" && g.Member != "" && g.Key != "" {
			g.Reference = g.Member + defaultReferenceSep + g.Key
		}
	}
	c.MQTT.setDefaults()
	c.HTTP.setDefaults()
	c.Nexudus.setDefaults()
	c.Upstream.setDefaults()
}

// ResolvePath returns p made absolute against the data directory when it is
// relative (used for master_key_file and every *_file setting).
func (c *Config) ResolvePath(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	dir := c.Site.DataDir
	if dir == "" {
		dir = DefaultDataDir
	}
	return filepath.Join(dir, p)
}

// MasterKeyPath is the master key file with the data directory applied.
func (c *Config) MasterKeyPath() string {
	if c.Site.MasterKeyFile == "" {
		return c.ResolvePath(masterKeyFileName)
	}
	return c.ResolvePath(c.Site.MasterKeyFile)
}

// clone copies c deeply enough that SetDefaults on the copy leaves c alone.
func (c *Config) clone() *Config {
	d := *c
	d.Domains = slices.Clone(c.Domains)
	d.Locks = slices.Clone(c.Locks)
	d.Keys = slices.Clone(c.Keys)
	d.Members = slices.Clone(c.Members)
	d.Grants = slices.Clone(c.Grants)
	d.MQTT.Users = slices.Clone(c.MQTT.Users)
	if c.Nexudus.BookingMarginBefore != nil {
		v := *c.Nexudus.BookingMarginBefore
		d.Nexudus.BookingMarginBefore = &v
	}
	return &d
}

func setStr(p *string, def string) {
	if *p == "" {
		*p = def
	}
}

func setDur(p *Duration, def time.Duration) {
	if *p == 0 {
		*p = Duration(def)
	}
}

func setInt(p *int, def int) {
	if *p == 0 {
		*p = def
	}
}
