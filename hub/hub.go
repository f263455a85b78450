package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lockhub/lockhub/devices"
	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/internal/keys"
	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/sync/pull"
	"github.com/lockhub/lockhub/sync/upload"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	_ "time/tzdata" // IANA zones on a bare box
)

// Deps are the hub's injected collaborators. Zero fields get defaults: a
// discarding logger, a fresh registry, the system clock.
type Deps struct {
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Gatherer is what /metrics serves. Nil means Registerer when it is
	// also a Gatherer (a *prometheus.Registry is both), else New fails.
	Gatherer prometheus.Gatherer
	Now      func() time.Time
}

// Hub is one site's lockhub: the store, the event log, the embedded broker
// and the lock service, wired together. New opens everything in dependency
// order (closing what it opened on failure), Run serves until its context
// ends, Close releases everything, the store last.
type Hub struct {
	log      *slog.Logger
	reg      prometheus.Registerer
	gatherer prometheus.Gatherer
	now      func() time.Time
	cfg      atomic.Pointer[Config]
	keys     *keys.Master

	store     *store.Store
	events    *events.Log
	broker    *devices.Broker         // nil in external mode
	external  *devices.ExternalBroker // nil in embedded mode
	lockNet   lockNetwork             // whichever of the two serves the locks
	relay     *relay                  // hub-to-hub relay; nil in embedded mode
	locks     *devices.Service
	uploader  *upload.Uploader // nil without upstream.url
	retention *upload.Retention
	nexudus   *pull.Syncer // nil when no domain follows Nexudus
	web       *webServer
	health    *healthTracker
	ring      *decisionRing // decisions per minute, for the page's chart
	// sync reports the Nexudus sync's state; nil until it is wired (the
	// page then says "Nexudus sync not configured").
	sync SyncReporter

	reloadMu  sync.Mutex
	closeOnce sync.Once
	closers   []func() error // in opening order
}

// Layout of the data directory.
const (
	storeDirName     = "store"
	eventsDirName    = "events"
	eventKeysDirName = "events-keys"
)

// New opens the hub described by cfg: the master key (made on first start),
// the store, the event log and the broker (its listeners are bound here, so
// a busy port fails now), and applies the config's records as one batch.
func New(cfg *Config, deps Deps) (_ *Hub, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.clone()
	cfg.SetDefaults()
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Registerer == nil {
		deps.Registerer = prometheus.NewRegistry()
	}
	if deps.Gatherer == nil {
		g, ok := deps.Registerer.(prometheus.Gatherer)
		if !ok {
			return nil, errors.New("hub deps: Registerer is not a Gatherer; set Deps.Gatherer for /metrics")
		}
		deps.Gatherer = g
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	h := &Hub{log: deps.Logger, reg: deps.Registerer, gatherer: deps.Gatherer, now: deps.Now,
		ring: &decisionRing{}}
	h.health = newHealthTracker(h.now)
	h.cfg.Store(cfg)
	defer func() {
		if err != nil {
			err = errors.Join(err, h.Close())
		}
	}()
	dataDir := cfg.Site.DataDir
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if h.keys, err = openMasterKey(cfg); err != nil {
		return nil, err
	}
	if h.store, err = store.Open(store.Config{
		Dir:            filepath.Join(dataDir, storeDirName),
		Logger:         h.log,
		ClockTolerance: cfg.Site.ClockTolerance.Std(),
	}); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	h.closers = append(h.closers, h.store.Close)
	if err := h.applyConfig(context.Background(), cfg); err != nil {
		return nil, err
	}
	durability := events.DurabilityProcess
	if cfg.Site.Durability == DurabilityDisk {
		durability = events.DurabilityDisk
	}
	stageDir, stageOptional := cfg.Site.StageDir, false
	switch stageDir {
	case "":
		// systemd's RuntimeDirectory= (a tmpfs under /run, kept across
		// restarts with RuntimeDirectoryPreserve=; the shipped unit has it)
		// before /dev/shm, which a unit's RemoveIPC= empties when it stops.
		rt, _, _ := strings.Cut(os.Getenv("RUNTIME_DIRECTORY"), ":")
		stageDir, stageOptional = events.MemoryDir(rt, "/dev/shm"), true
	case StageNone:
		stageDir = ""
	}
	if h.events, err = events.Open(events.Config{
		Dir:             filepath.Join(dataDir, eventsDirName),
		KeysDir:         filepath.Join(dataDir, eventKeysDirName),
		Epoch:           h.store.Epoch(),
		Durability:      durability,
		FlushInterval:   cfg.Site.FlushInterval.Std(),
		StageDir:        stageDir,
		StageOptional:   stageOptional,
		MaxOutboxEvents: cfg.Upstream.OutboxMaxEvents,
		Logger:          h.log,
		Now:             h.now,
	}); err != nil {
		return nil, fmt.Errorf("open event log: %w", err)
	}
	h.closers = append(h.closers, h.events.Close)
	if err := h.openUpload(cfg); err != nil {
		return nil, err
	}
	if err := h.openSync(cfg); err != nil {
		return nil, err
	}
	if err := h.openLocks(cfg); err != nil {
		return nil, err
	}
	if err := h.openHTTP(cfg); err != nil {
		return nil, err
	}
	if err := h.reg.Register(newHubCollector(h)); err != nil {
		return nil, fmt.Errorf("register hub metrics: %w", err)
	}
	if err := h.ring.backfill(h.events, h.now(), chartBackfillEvents); err != nil {
		h.log.Warn("decisions chart starts empty", "error", err)
	}
	h.log.Info("hub opened", "site", cfg.Site.ID, "data_dir", dataDir,
		"mqtt", h.broker.Addrs().TCP, "http", h.web.addrs.Main, "durability", durability.String())
	return h, nil
}

// openLocks starts the broker (or, in external mode, the client of the
// external one) and the lock service.
func (h *Hub) openLocks(cfg *Config) error {
	if cfg.MQTT.IsExternal() {
		return h.openExternal(cfg)
	}
	fwd := lockHandlers{h: h}
	broker, err := devices.NewBroker(brokerConfig(cfg), devices.BrokerDeps{
		Logger:     h.log,
		Registerer: h.reg,
		LockSecret: h.lockSecret,
		UserSecret: h.userSecret,
		Requests:   fwd,
		Events:     fwd,
		States:     fwd,
		Now:        h.now,
	})
	if err != nil {
		return fmt.Errorf("start mqtt broker: %w", err)
	}
	h.broker, h.lockNet = broker, broker
	h.closers = append(h.closers, func() error { broker.Close(); return nil })
	return h.openService(cfg, broker, broker, lockStates{h.store})
}

// openService makes the lock service: the decision path both modes share.
func (h *Hub) openService(cfg *Config, cmds devices.CommandSender, status devices.StatusSink, states devices.LockStates) (err error) {
	h.locks, err = devices.NewService(devices.KeypadConfig{
		MaxFailures: cfg.MQTT.Keypad.MaxFailures,
		Window:      cfg.MQTT.Keypad.Window.Std(),
		Lockout:     cfg.MQTT.Keypad.Lockout.Std(),
	}, devices.ServiceDeps{
		Logger:     h.log,
		Registerer: h.reg,
		Now:        h.now,
		Decider:    h.store,
		Digest:     h.keys.Digest,
		Events:     recordingSink{eventSink: eventSink{h: h}, ring: h.ring},
		LockStates: states,
		CommandKey: h.commandKey,
		Commands:   cmds,
		Status:     status,
	})
	if err != nil {
		return fmt.Errorf("start lock service: %w", err)
	}
	return nil
}

// Run serves until ctx ends, then stops the parts in stages: the broker
// first (no new requests), then the background loops. Close releases them.
func (h *Hub) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return h.lockNet.Run(gctx) })
	g.Go(func() error { return h.store.Run(gctx) })
	g.Go(func() error { return h.events.Run(gctx) })
	g.Go(func() error { return h.retention.Run(gctx) })
	g.Go(func() error { return h.web.run(gctx) })
	g.Go(func() error { h.healthLoop(gctx); return nil })
	if h.uploader != nil {
		g.Go(func() error { return h.uploader.Run(gctx) })
	}
	if h.nexudus != nil {
		g.Go(func() error { return h.nexudus.Run(gctx) })
	}
	err := g.Wait()
	if h.uploader != nil {
		// A last upload of what the final requests produced, bounded.
		flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if ferr := h.uploader.Drain(flush); ferr != nil && !errors.Is(ferr, context.DeadlineExceeded) {
			h.log.Warn("final upload incomplete; the outbox keeps the rest", "error", ferr)
		}
		cancel()
	}
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// Close releases everything New opened, newest first; the store is last.
func (h *Hub) Close() error {
	var err error
	h.closeOnce.Do(func() {
		for i := len(h.closers) - 1; i >= 0; i-- {
			err = errors.Join(err, h.closers[i]())
		}
	})
	return err
}

// Config returns the configuration in force.
func (h *Hub) Config() *Config { return h.cfg.Load() }

// Store is the hub's store (for tools and tests in this module).
func (h *Hub) Store() *store.Store { return h.store }

// Events is the hub's event log.
func (h *Hub) Events() *events.Log { return h.events }

// Broker is the embedded broker (nil in external mode).
func (h *Hub) Broker() *devices.Broker { return h.broker }

// External is the client of the external broker (nil in embedded mode).
func (h *Hub) External() *devices.ExternalBroker { return h.external }

// Locks is the lock service (admin actions on locks).
func (h *Hub) Locks() *devices.Service { return h.locks }

// Keys is the site master key.
func (h *Hub) Keys() *keys.Master { return h.keys }

// Reload replaces the records of origin config with cfg's, as one batch, and
// puts cfg in force (lock key generations, keypad settings of new requests
// keep the old values until restart). An invalid cfg is refused and the old
// one kept.
func (h *Hub) Reload(ctx context.Context, cfg *Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg = cfg.clone()
	cfg.SetDefaults()
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	if err := h.applyConfig(ctx, cfg); err != nil {
		return err
	}
	h.cfg.Store(cfg)
	h.log.Info("config reloaded", "site", cfg.Site.ID)
	return nil
}

// applyConfig writes cfg's records as one atomic batch replacing every
// record of origin config.
func (h *Hub) applyConfig(ctx context.Context, cfg *Config) error {
	recs, err := cfg.PolicyRecords(h.keys.Digest)
	if err != nil {
		return err
	}
	b := store.NewBatch()
	b.ReplaceOrigin(policy.OriginConfig)
	for _, d := range recs.Domains {
		b.PutDomain(d)
	}
	for _, l := range recs.Locks {
		b.PutLock(l)
	}
	for _, a := range recs.Access {
		b.PutAccess(a)
	}
	for _, m := range recs.Members {
		b.PutMember(m.Member, m.Credentials)
	}
	for _, g := range recs.Grants {
		b.PutGrant(g)
	}
	if err := h.store.Apply(ctx, b); err != nil {
		return fmt.Errorf("apply config records: %w", err)
	}
	return nil
}

// lockGeneration returns the key generation of a known lock.
func (h *Hub) lockGeneration(lock string) (uint32, bool) {
	var gen uint32
	var ok bool
	h.store.View(func(v policy.View) {
		if l := v.Lock(lock); l != nil {
			gen, ok = l.KeyGeneration, true
		}
	})
	return gen, ok
}

func (h *Hub) lockSecret(lock string) (string, bool) {
	gen, ok := h.lockGeneration(lock)
	if !ok {
		return "", false
	}
	return h.keys.LockSecret(lock, gen), true
}

func (h *Hub) commandKey(lock string) ([]byte, bool) {
	gen, ok := h.lockGeneration(lock)
	if !ok {
		return nil, false
	}
	return h.keys.LockCommandKey(lock, gen), true
}

func (h *Hub) userSecret(name string) (string, bool) {
	for _, u := range h.cfg.Load().MQTT.Users {
		if u.Name == name {
			return h.keys.UserSecret(name), true
		}
	}
	return "", false
}

// brokerConfig maps the site config's mqtt section onto the broker's.
func brokerConfig(cfg *Config) devices.BrokerConfig {
	m := cfg.MQTT
	bc := devices.DefaultBrokerConfig()
	bc.TCP.Address = m.Listeners.TCP.Address
	if m.Listeners.TCP.Disabled {
		bc.TCP.Address = ""
	}
	if m.Listeners.TLS.Address != "" {
		bc.TLS = devices.TLSListenerConfig{
			Address:           m.Listeners.TLS.Address,
			CertFile:          cfg.ResolvePath(m.Listeners.TLS.CertFile),
			KeyFile:           cfg.ResolvePath(m.Listeners.TLS.KeyFile),
			RequireClientCert: m.Listeners.TLS.RequireClientCert,
		}
		if m.Listeners.TLS.ClientCAFile != "" {
			bc.TLS.ClientCAFile = cfg.ResolvePath(m.Listeners.TLS.ClientCAFile)
		}
	}
	bc.WebSocket.Address = m.Listeners.WebSocket.Address
	bc.MaxClients = m.MaxClients
	for _, u := range m.Users {
		bc.Users = append(bc.Users, devices.UserConfig{Name: u.Name, Publish: u.AllowPublish, Subscribe: u.AllowSubscribe})
	}
	if n := m.AuthFailures.MaxFailures; n > 0 {
		bc.AuthThrottle.ClientFailures = n
		bc.AuthThrottle.ClientRefill = m.AuthFailures.Window.Std() / time.Duration(n)
	}
	return bc
}
