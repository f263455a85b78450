package hub

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/sync/nexudus"
	"github.com/lockhub/lockhub/sync/pull"
)

// openSync makes the Nexudus syncer when some domain follows a Nexudus
// business. Its jobs run in Run; its Custom ACS endpoints are mounted by the
// HTTP server.
func (h *Hub) openSync(cfg *Config) error {
	if !cfg.NexudusEnabled() {
		return nil
	}
	n := cfg.Nexudus
	password, err := cfg.Secret(n.Password())
	if err != nil {
		return err
	}
	webhookToken, err := optionalSecret(cfg, n.WebhookToken())
	if err != nil {
		return err
	}
	groupsToken, err := optionalSecret(cfg, n.AccessGroupsToken())
	if err != nil {
		return err
	}
	mode, err := nexudus.ParseTimeMode(n.TimeMode)
	if err != nil {
		return fmt.Errorf("nexudus.time_mode: %w", err)
	}
	var domains []pull.Domain
	for _, d := range cfg.Domains {
		if d.NexudusBusiness == "" {
			continue
		}
		zone, err := time.LoadLocation(d.Zone)
		if err != nil {
			return fmt.Errorf("domains %s: zone: %w", d.ID, err)
		}
		domains = append(domains, pull.Domain{ID: d.ID, Business: d.NexudusBusiness, Zone: zone})
	}
	client, err := nexudus.New(nexudus.Config{
		BaseURL:           n.BaseURL,
		ClientID:          n.ClientID,
		Username:          n.Username,
		Password:          password,
		Location:          domains[0].Zone, // the client reads one zone; domains of one tenant share it
		TimeMode:          mode,
		RequestsPerMinute: float64(n.RequestsPerMinute),
		Burst:             n.Burst,
		Now:               h.now,
	}, nil, h.log)
	if err != nil {
		return fmt.Errorf("nexudus client: %w", err)
	}
	h.nexudus, err = pull.New(pull.Config{
		Domains:           domains,
		MarginBefore:      n.MarginBefore(),
		MarginAfter:       n.BookingMarginAfter.Std(),
		Prestage:          n.Prestage.Std(),
		Incremental:       n.Incremental,
		Reconcile:         n.Reconcile,
		Nightly:           n.Nightly,
		WebhookToken:      webhookToken,
		AccessGroupsToken: groupsToken,
	}, pull.Deps{
		Client:     client,
		Store:      pullStore{h.store},
		Digest:     h.keys.Digest,
		Unlocks:    pullUnlocks{h.events},
		Parser:     CronParser{},
		Logger:     h.log.With("component", "nexudus"),
		Registerer: h.reg,
		Now:        h.now,
	})
	if err != nil {
		return fmt.Errorf("start nexudus sync: %w", err)
	}
	h.sync = SyncReporterFunc(h.nexudusStatus)
	return nil
}

// nexudusStatus maps the syncer's status onto the page's: Nexudus counts as
// reachable when the most recent job run succeeded.
func (h *Hub) nexudusStatus() SyncStatus {
	st := h.nexudus.Status()
	out := SyncStatus{Jobs: make([]SyncJob, 0, len(st.Jobs))}
	var latest time.Time
	for _, j := range st.Jobs {
		sj := SyncJob{Name: j.Name, Schedule: j.Schedule, LastRun: j.LastRun, LastSuccess: j.LastSuccess,
			NextRun: j.NextRun, LastError: j.LastError}
		if j.LastError != "" {
			sj.Failures = 1 // the syncer keeps the last outcome, not a run count
		}
		out.Jobs = append(out.Jobs, sj)
		if j.LastSuccess.After(out.LastContact) {
			out.LastContact = j.LastSuccess
		}
		if j.LastRun.After(latest) {
			latest = j.LastRun
			out.LastError = j.LastError
		}
	}
	out.Reachable = out.LastError == "" // before the first run: not known to be unreachable
	return out
}

// Sync is the Nexudus syncer, nil when no domain follows Nexudus.
func (h *Hub) Sync() *pull.Syncer { return h.nexudus }

// nexudusHandler serves /nexudus/* (404 without Nexudus).
func (h *Hub) nexudusHandler() http.Handler {
	if h.nexudus == nil {
		return http.NotFoundHandler()
	}
	return h.relayWebhooks(h.nexudus.Handler())
}

func optionalSecret(cfg *Config, ref SecretRef) (string, error) {
	if !ref.Configured() {
		return "", nil
	}
	return cfg.Secret(ref)
}

// pullStore adapts the store to the syncer: one change set, one batch.
type pullStore struct{ *store.Store }

func (a pullStore) Apply(ctx context.Context, c *pull.Change) error {
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
	for n, v := range c.Cursors {
		b.SetCursor(n, v)
	}
	for d, t := range c.LastSync {
		b.SetLastSync(d, t)
	}
	return a.Store.Apply(ctx, b)
}

// pullUnlocks feeds granted unlocks from the event log to the check-in job.
type pullUnlocks struct{ *events.Log }

func (a pullUnlocks) UnlocksAfter(after uint64, max int) ([]pull.Unlock, error) {
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

// Interface guards.
var (
	_ pull.Store        = pullStore{}
	_ pull.UnlockSource = pullUnlocks{}
)
