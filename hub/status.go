package hub

import (
	"slices"
	"strings"
	"time"

	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/sync/upload"
)

// Status is everything the status page shows; /api/status returns it as
// JSON. It holds member ids and names (hence the viewer token) but never a
// credential, a token or a secret.
type Status struct {
	Site      string         `json:"site"`
	Now       time.Time      `json:"now"`
	Ready     bool           `json:"ready"`
	Warnings  []Warning      `json:"warnings"`
	Locks     []LockView     `json:"locks"`
	Sync      SyncView       `json:"sync"`
	Outbox    OutboxView     `json:"outbox"`
	Decisions []DecisionView `json:"decisions"`
	// Chart is the decisions per minute over the last hour, oldest first.
	Chart  []MinuteCount `json:"chart"`
	Counts store.Counts  `json:"counts"`
	Clock  ClockView     `json:"clock"`
}

// LockView is one lock: its configuration, connection and reported state.
type LockView struct {
	ID                string    `json:"id"`
	Name              string    `json:"name,omitempty"`
	Domain            string    `json:"domain"`
	Configured        bool      `json:"configured"` // false: connected but not in the store
	Online            bool      `json:"online"`
	Since             time.Time `json:"since"` // went online, or offline (zero: never connected)
	LastSeen          time.Time `json:"last_seen"`
	Firmware          string    `json:"firmware,omitempty"`
	Door              string    `json:"door"`               // open, closed, unknown, ...
	Battery           int       `json:"battery_percent"`    // -1 when unknown
	ClockSkew         float64   `json:"clock_offset_s"`     // lock clock minus hub clock
	ClockKnown        bool      `json:"clock_offset_known"` // the lock reported its clock
	Lockdown          bool      `json:"lockdown"`
	Released          bool      `json:"released"`
	KeypadLockedUntil time.Time `json:"keypad_locked_until"` // zero: not locked out
}

// SyncView is the Nexudus sync and the age of each domain's data.
type SyncView struct {
	Configured bool         `json:"configured"`
	Status     *SyncStatus  `json:"status,omitempty"` // nil until the sync is wired
	Domains    []DomainSync `json:"domains"`
}

// DomainSync is the age of a domain's synced data.
type DomainSync struct {
	Domain   string    `json:"domain"`
	Nexudus  bool      `json:"nexudus"` // follows a Nexudus business
	LastSync time.Time `json:"last_sync"`
	// AgeSeconds is now minus LastSync; -1 when never synced.
	AgeSeconds float64 `json:"age_s"`
	// LimitSeconds is the shortest offline horizon of the domain's locks:
	// past it, open-ended Nexudus grants are denied (data_stale).
	LimitSeconds float64 `json:"limit_s"`
}

// OutboxView is the event outbox and the uploader.
type OutboxView struct {
	UploadConfigured bool                 `json:"upload_configured"`
	Pending          int                  `json:"pending"`
	Oldest           time.Time            `json:"oldest"` // zero when empty
	Dropped          uint64               `json:"dropped"`
	Failing          bool                 `json:"failing"`
	Failures         int                  `json:"failures"`
	FailingSince     time.Time            `json:"failing_since"`
	LastError        string               `json:"last_error,omitempty"`
	LastSuccess      time.Time            `json:"last_success"`
	Parked           []upload.ParkedBatch `json:"parked"`
}

// ClockView is the hub's clock against its records.
type ClockView struct {
	Newest    time.Time `json:"newest_decision"`
	Tolerance float64   `json:"tolerance_s"`
	Trusted   bool      `json:"trusted"`
}

// status assembles a Status. n is the number of recent decisions.
func (h *Hub) status(n int) (Status, error) {
	now := h.now()
	ws := h.checkHealth(now)
	st := Status{
		Site:     h.Config().Site.ID,
		Now:      now,
		Ready:    !critical(ws),
		Warnings: ws,
		Locks:    h.lockViews(now),
		Sync:     h.syncView(now),
		Outbox:   h.outboxView(),
		Chart:    h.ring.series(now),
		Counts:   h.store.Counts(),
	}
	mark := h.store.ClockMark()
	st.Clock = ClockView{Newest: mark.Newest, Tolerance: mark.Tolerance.Seconds(), Trusted: mark.Trusted(now)}
	var err error
	if n > 0 {
		st.Decisions, err = h.recentDecisions(n)
	}
	return st, err
}

// lockViews merges the configured locks with the broker's presence table.
func (h *Hub) lockViews(now time.Time) []LockView {
	var out []LockView
	index := map[string]int{}
	for _, l := range h.store.Locks() {
		index[l.ID] = len(out)
		out = append(out, LockView{ID: l.ID, Name: l.Name, Domain: l.Domain, Configured: true, Door: "unknown", Battery: -1})
	}
	for _, p := range h.lockNet.Presence() {
		i, ok := index[p.Lock]
		if !ok {
			i = len(out)
			out = append(out, LockView{ID: p.Lock, Door: "unknown", Battery: -1})
		}
		v := &out[i]
		v.Online, v.Since, v.LastSeen = p.Online, p.ConnectedSince, p.LastSeen
		if !p.Online {
			v.Since = p.DisconnectedAt
		}
		v.Firmware, v.Battery = p.Status.Firmware, p.Status.BatteryPercent
		if p.Status.Door != "" {
			v.Door = p.Status.Door
		}
		if !p.Status.UpdatedAt.IsZero() {
			v.ClockSkew, v.ClockKnown = p.Status.ClockOffset.Seconds(), true
		}
	}
	for i := range out {
		ls := h.store.LockState(out[i].ID)
		out[i].Lockdown, out[i].Released = ls.Lockdown, ls.Released
		if ls.KeypadLockedUntil.After(now) {
			out[i].KeypadLockedUntil = ls.KeypadLockedUntil
		}
	}
	slices.SortFunc(out, func(a, b LockView) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (h *Hub) syncView(now time.Time) SyncView {
	cfg := h.Config()
	v := SyncView{Configured: cfg.NexudusEnabled()}
	if h.sync != nil {
		s := h.sync.SyncStatus()
		v.Status = &s
	}
	last := h.store.LastSyncs()
	horizons := h.domainHorizons()
	for _, d := range cfg.Domains {
		ds := DomainSync{Domain: d.ID, Nexudus: d.NexudusBusiness != "", LastSync: last[d.ID], AgeSeconds: -1,
			LimitSeconds: horizons[d.ID].Seconds()}
		if !ds.LastSync.IsZero() {
			ds.AgeSeconds = now.Sub(ds.LastSync).Seconds()
		}
		v.Domains = append(v.Domains, ds)
	}
	return v
}

// domainHorizons returns the shortest offline horizon of each domain's
// locks (policy.DefaultOfflineHorizon for zero values and lockless domains).
func (h *Hub) domainHorizons() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, l := range h.store.Locks() {
		hz := l.OfflineHorizon
		if hz <= 0 {
			hz = defaultOfflineHorizon
		}
		if cur, ok := out[l.Domain]; !ok || hz < cur {
			out[l.Domain] = hz
		}
	}
	for _, d := range h.Config().Domains {
		if _, ok := out[d.ID]; !ok {
			out[d.ID] = defaultOfflineHorizon
		}
	}
	return out
}

func (h *Hub) outboxView() OutboxView {
	var v OutboxView
	v.Dropped = h.events.Stats().Dropped
	if h.uploader == nil {
		v.Pending, v.Oldest = h.events.Pending()
		return v
	}
	s := h.uploader.Status()
	v.UploadConfigured = true
	v.Pending, v.Oldest = s.Pending, s.OldestPending
	v.Failing, v.Failures, v.FailingSince = s.Failing, s.Failures, s.FailingSince
	v.LastError, v.LastSuccess = s.LastError, s.LastSuccess
	v.Parked = s.Parked
	if v.Parked == nil {
		v.Parked = []upload.ParkedBatch{}
	}
	return v
}
