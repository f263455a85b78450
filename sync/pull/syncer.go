package pull

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/sync/nexudus"
)

// Syncer derives grants from Nexudus, runs the sync jobs and serves the
// Custom ACS endpoints. Its methods are safe for concurrent use.
type Syncer struct {
	cfg     Config
	client  *nexudus.Client
	store   Store
	digest  func(policy.CredentialType, string) (policy.Credential, error)
	unlocks UnlockSource
	poster  CheckinPoster
	parser  cron.ScheduleParser
	log     *slog.Logger
	now     func() time.Time
	met     *metrics
	byBiz   map[string][]Domain
	domains map[string]Domain

	jobMu   sync.Mutex // serialises the jobs
	applyMu sync.Mutex // serialises read-compare-apply of jobs and webhooks
	// checkinMu serialises check-in rounds (apart from the sync jobs, which
	// may take hours when paced).
	checkinMu sync.Mutex
	tables    *tables // guarded by applyMu; nil until the first full pass

	stMu          sync.Mutex
	jobs          map[string]JobStatus
	specs         map[string]string
	next          map[string]func() time.Time
	unknownGroups map[string]bool
	zoneMismatch  []string
	zonesChecked  bool
	rejected      int
	checkinSeq    uint64
	checkinErr    string
	lastCheckin   map[string]time.Time // member → last posted check-in
}

// New validates cfg and returns a Syncer. Nothing runs until Run or one of
// the Run* methods is called.
func New(cfg Config, deps Deps) (*Syncer, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Client == nil || deps.Store == nil || deps.Digest == nil {
		return nil, errors.New("pull: client, store and digest are required")
	}
	s := &Syncer{cfg: cfg, client: deps.Client, store: deps.Store, digest: deps.Digest, unlocks: deps.Unlocks,
		poster: deps.Checkins, parser: deps.Parser, log: deps.Logger, now: deps.Now,
		byBiz: map[string][]Domain{}, domains: map[string]Domain{},
		jobs: map[string]JobStatus{}, next: map[string]func() time.Time{}, unknownGroups: map[string]bool{},
		lastCheckin: map[string]time.Time{},
		specs: map[string]string{JobIncremental: cfg.Incremental, JobReconcile: cfg.Reconcile, JobNightly: cfg.Nightly,
			JobCheckins: "@every " + cfg.CheckinEvery.String()}}
	if s.poster == nil {
		s.poster = deps.Client
	}
	if s.parser == nil {
		s.parser = cron.NewParser(CronOptions)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	reg := deps.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	for _, d := range cfg.Domains {
		k := strings.ToLower(d.Business)
		s.byBiz[k] = append(s.byBiz[k], d)
		s.domains[d.ID] = d
	}
	for _, spec := range []string{cfg.Incremental, cfg.Reconcile, cfg.Nightly} {
		if _, err := s.parser.Parse(spec); err != nil {
			return nil, err
		}
	}
	s.met = newMetrics(reg)
	return s, nil
}

func (s *Syncer) lastSync(domain string) (time.Time, bool) {
	t := s.store.LastSync(domain)
	return t, !t.IsZero()
}

// reportUnknown counts and logs (once per id) a group that names no key.
func (s *Syncer) reportUnknown(group string) {
	s.stMu.Lock()
	seen := s.unknownGroups[group]
	s.unknownGroups[group] = true
	s.stMu.Unlock()
	if !seen {
		s.met.unknown.Inc()
		s.log.Warn("nexudus access group names no hub key of a domain following its business; map it in Nexudus or add the key",
			"group", group)
	}
}

// reportCredential counts and logs a credential that does not canonicalise,
// without its value.
func (s *Syncer) reportCredential(member string, t policy.CredentialType, err error) {
	s.met.badCreds.Inc()
	s.stMu.Lock()
	s.rejected++
	s.stMu.Unlock()
	s.log.Warn("nexudus credential skipped", "member", member, "type", t.String(), "err", err)
}

// newDeriver builds a deriver for a pass at now over the given tables.
func (s *Syncer) newDeriver(t *tables, now time.Time) *deriver {
	acc := map[string]policy.Access{}
	for _, a := range s.store.Accesses() {
		acc[a.ID] = a
	}
	return &deriver{cfg: &s.cfg, t: t, mode: s.client.TimeMode(), now: now, horizon: now.Add(s.cfg.Prestage),
		accesses: acc, domains: s.domains, byBiz: s.byBiz, unknown: s.reportUnknown}
}
