package pull_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/internal/keys"
	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/policy"
	sim "github.com/lockhub/lockhub/simulators/nexudus"
	"github.com/lockhub/lockhub/sync/nexudus"
	"github.com/lockhub/lockhub/sync/pull"
)

// storeAdapter is the hub's adapter of internal/store to pull.Store: the
// reads are the store's own methods; Apply turns a pull.Change into one
// store.Batch.
type storeAdapter struct{ *store.Store }

func (a storeAdapter) Apply(ctx context.Context, c *pull.Change) error {
	b := store.NewBatch()
	for _, m := range c.Members {
		b.PutMember(m.Member, m.Credentials)
	}
	for _, k := range c.Deletes {
		b.DeleteGrant(k)
	}
	for _, g := range c.Puts {
		b.PutGrant(g)
	}
	for name, v := range c.Cursors {
		b.SetCursor(name, v)
	}
	for d, t := range c.LastSync {
		b.SetLastSync(d, t)
	}
	return a.Store.Apply(ctx, b)
}

var _ pull.Store = storeAdapter{}

// unlockAdapter is the hub's adapter of internal/events to pull.UnlockSource.
type unlockAdapter struct{ *events.Log }

func (a unlockAdapter) UnlocksAfter(after uint64, max int) ([]pull.Unlock, error) {
	evs, err := a.Scan(after, max)
	if err != nil {
		return nil, err
	}
	out := make([]pull.Unlock, len(evs))
	for i, e := range evs {
		out[i] = pull.Unlock{Seq: e.Seq, Time: e.Time, Lock: e.Lock, Member: e.Member,
			Allowed: e.Type == events.TypeDecision && e.Allowed}
	}
	return out, nil
}

// clock is a movable injected clock shared by the simulator, the client
// and the syncer.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Sleep passes fake time at once (Retry-After, backoff, rate limits).
func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.Add(d)
	return ctx.Err()
}

const (
	webhookToken = "hook-secret"
	domainID     = "hq"
	domainLondon = "ldn"
	lockLondon   = "ldn-room"
	grpLondon    = "grp-ldn-room"
	lockRoom     = "room-aurora"
	lockFront    = "front"
	lockDesk     = "floor-2"
	grpLobby     = "grp-lobby"
	grpRoom      = "grp-room-aurora"
	grpDesk      = "grp-floor-2"
	cardAna      = "04A1B2C3"
)

// env is one hub side (store, keys, syncer, endpoints) and one simulated
// Nexudus, over real HTTP on loopback.
type env struct {
	t       testing.TB
	clk     *clock
	sim     *sim.Server
	simURL  string
	hubURL  string
	store   *store.Store
	master  *keys.Master
	client  *nexudus.Client
	syncer  *pull.Syncer
	reg     *prometheus.Registry
	biz     int
	bizUUID string
	ldnBiz  int // with envOpts.london
	zone    *time.Location
	events  *events.Log
}

type envOpts struct {
	mode      string // sim time mode
	now       time.Time
	throttle  bool
	checkins  bool
	storeDir  string
	eventsDir string
	// london adds a second business and domain ("ldn", Europe/London, one
	// lock on grpLondon) to the Stockholm one.
	london bool
}

func newEnv(tb testing.TB, o envOpts) *env {
	tb.Helper()
	if o.mode == "" {
		o.mode = sim.TimeModeUTC
	}
	if o.now.IsZero() {
		o.now = time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC)
	}
	e := &env{t: tb, clk: &clock{t: o.now}}
	e.zone, _ = time.LoadLocation("Europe/Stockholm")
	e.sim = sim.New(sim.Config{Now: e.clk.Now, TimeMode: o.mode, ThrottleOff: !o.throttle, Seed: 7})
	simSrv := httptest.NewServer(e.sim.Handler())
	tb.Cleanup(simSrv.Close)
	e.simURL = simSrv.URL
	var err error
	if e.biz, err = e.sim.AddBusiness("Harbour Works", "Europe/Stockholm"); err != nil {
		tb.Fatal(err)
	}
	e.bizUUID, _ = e.sim.BusinessUniqueID(e.biz)
	for _, g := range []string{grpLobby, grpRoom, grpDesk} {
		e.sim.AddAccessGroup(g, g)
	}
	if o.storeDir == "" {
		o.storeDir = tb.TempDir()
	}
	e.store, err = store.Open(store.Config{Dir: o.storeDir})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.store.Close() })
	e.master, _ = keys.New(make([]byte, 32))
	b := store.NewBatch()
	b.PutDomain(policy.Domain{ID: domainID, Zone: e.zone, NexudusBusiness: e.bizUUID, Origin: policy.OriginConfig})
	for _, l := range []string{lockRoom, lockFront, lockDesk} {
		b.PutLock(policy.Lock{ID: l, Domain: domainID, Origin: policy.OriginConfig, CheckIn: l == lockFront})
	}
	b.PutAccess(policy.Access{ID: grpLobby, Domain: domainID, Name: "Lobby", Locks: []string{lockFront}, Origin: policy.OriginConfig})
	b.PutAccess(policy.Access{ID: grpRoom, Domain: domainID, Name: "Room Aurora", Locks: []string{lockRoom}, Origin: policy.OriginConfig})
	b.PutAccess(policy.Access{ID: grpDesk, Domain: domainID, Name: "Floor 2", Locks: []string{lockDesk}, Origin: policy.OriginConfig})
	domains := []pull.Domain{{ID: domainID, Business: e.bizUUID, Zone: e.zone}}
	if o.london {
		ldnZone, _ := time.LoadLocation("Europe/London")
		if e.ldnBiz, err = e.sim.AddBusiness("Harbour Works London", "Europe/London"); err != nil {
			tb.Fatal(err)
		}
		ldnUUID, _ := e.sim.BusinessUniqueID(e.ldnBiz)
		e.sim.AddAccessGroup(grpLondon, grpLondon)
		b.PutDomain(policy.Domain{ID: domainLondon, Zone: ldnZone, NexudusBusiness: ldnUUID, Origin: policy.OriginConfig})
		b.PutLock(policy.Lock{ID: lockLondon, Domain: domainLondon, Origin: policy.OriginConfig})
		b.PutAccess(policy.Access{ID: grpLondon, Domain: domainLondon, Name: "London room", Locks: []string{lockLondon}, Origin: policy.OriginConfig})
		domains = append(domains, pull.Domain{ID: domainLondon, Business: ldnUUID, Zone: ldnZone})
	}
	if err := e.store.Apply(context.Background(), b); err != nil {
		tb.Fatal(err)
	}
	e.client, err = nexudus.New(nexudus.Config{BaseURL: e.simURL, Username: "admin@example.org", Password: "secret",
		ClientID: "hub-test", Location: e.zone, Now: e.clk.Now, Sleep: e.clk.Sleep, MaxRetries: 3}, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	deps := pull.Deps{Client: e.client, Store: storeAdapter{e.store}, Digest: e.master.Digest, Now: e.clk.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if o.checkins {
		if o.eventsDir == "" {
			o.eventsDir = tb.TempDir()
		}
		e.events, err = events.Open(events.Config{Dir: o.eventsDir, KeysDir: tb.TempDir(), Epoch: "e1", Now: e.clk.Now})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { e.events.Close() })
		deps.Unlocks = unlockAdapter{e.events}
	}
	e.reg = prometheus.NewRegistry()
	deps.Registerer = e.reg
	e.syncer, err = pull.New(pull.Config{
		Domains:      domains,
		MarginBefore: 15 * time.Minute, WebhookToken: webhookToken,
	}, deps)
	if err != nil {
		tb.Fatal(err)
	}
	hubSrv := httptest.NewServer(e.syncer.Handler())
	tb.Cleanup(hubSrv.Close)
	e.hubURL = hubSrv.URL
	return e
}

func (e *env) coworker(name, card, pin string) int {
	e.t.Helper()
	id, err := e.sim.AddCoworker(sim.CoworkerSpec{FullName: name, Email: "x@example.org", BusinessID: e.biz,
		AccessCardID: card, AccessPincode: pin})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) resource(groups ...string) int {
	e.t.Helper()
	id, err := e.sim.AddResource(sim.ResourceSpec{BusinessID: e.biz, Name: "Aurora", TypeName: "Meeting room", Groups: groups})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) incremental() {
	e.t.Helper()
	if err := e.syncer.RunIncremental(context.Background()); err != nil {
		e.t.Fatalf("RunIncremental: %v", err)
	}
}

func (e *env) cred(raw string) policy.Credential {
	c, err := e.master.Digest(policy.CredCard, raw)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// decide decides a card at a lock at t.
func (e *env) decide(lock, card string, t time.Time) policy.Decision {
	return e.store.Decide(t, policy.Request{Lock: lock, Credential: e.cred(card)})
}

func (e *env) wantAllowed(lock, card string, t time.Time, want bool, what string) {
	e.t.Helper()
	d := e.decide(lock, card, t)
	if d.Allowed() != want {
		e.t.Errorf("%s: Decide(%s at %s) = %v, want allowed=%v", what, lock, t.Format(time.RFC3339), d.Reason, want)
	}
}
