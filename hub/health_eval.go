package hub

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lockhub/lockhub/internal/events"
	"github.com/lockhub/lockhub/policy"
)

// Thresholds of the hub's own health checks.
const (
	// GrantsStaleAfter is the data age of a Nexudus domain past which
	// grants_stale shows as a warning. It turns critical (and /readyz
	// unready) past the shortest offline horizon of the domain's locks,
	// when open-ended Nexudus grants start being denied.
	GrantsStaleAfter = time.Hour
	// OutboxBacklogEvents and OutboxBacklogAge raise outbox_backlog.
	OutboxBacklogEvents = 100_000
	OutboxBacklogAge    = time.Hour

	defaultOfflineHorizon = policy.DefaultOfflineHorizon
	healthInterval        = 15 * time.Second
)

// checkHealth re-evaluates every condition the hub checks itself and
// returns the visible warnings. The page, /readyz and /metrics call it, and
// Run calls it every healthInterval so that time-to-visible counts.
func (h *Hub) checkHealth(now time.Time) []Warning {
	t := h.health
	t.update(WarnClockUntrusted, !h.store.ClockMark().Trusted(now),
		fmt.Sprintf("The system clock (%s) is more than %s behind the newest recorded decision (%s). "+
			"Decisions are refused until the clock is right.", now.UTC().Format(time.RFC3339),
			h.store.ClockMark().Tolerance, h.store.ClockMark().Newest.UTC().Format(time.RFC3339)))

	h.checkLocks(now)
	h.checkStale(now)
	h.checkOutbox(now)
	if s := h.sync; s != nil {
		st := s.SyncStatus()
		text := "Nexudus requests fail"
		if st.LastError != "" {
			text += ": " + st.LastError
		}
		if !st.LastContact.IsZero() {
			text += fmt.Sprintf(" (last contact %s ago). Decisions continue from the stored grants.", ago(now, st.LastContact))
		}
		t.update(WarnNexudusUnreachable, !st.Reachable, text)
	}
	return t.visible()
}

func (h *Hub) checkLocks(now time.Time) {
	// Named in the warning: the first few offline locks; the rest counted.
	// (A site of thousands of locks must not build a string per lock on
	// every tick.)
	const named = 10
	var off []string
	offline := 0
	online := map[string]bool{}
	lastSeen := map[string]time.Time{}
	for _, p := range h.lockNet.Presence() {
		online[p.Lock] = p.Online
		lastSeen[p.Lock] = p.LastSeen
	}
	var ids []string
	h.store.LockIDs(func(id string) {
		if !online[id] {
			offline++
			ids = append(ids, id)
		}
	})
	if len(ids) > named {
		slices.Sort(ids) // name the same ones from tick to tick
		ids = ids[:named]
	}
	for _, id := range ids {
		if ls := lastSeen[id]; ls.IsZero() {
			off = append(off, id+" (never connected)")
		} else {
			off = append(off, fmt.Sprintf("%s (last seen %s ago)", id, ago(now, ls)))
		}
	}
	slices.Sort(off)
	text := ""
	switch {
	case offline == 1:
		text = "Lock " + off[0] + " is not connected."
	case offline > named:
		text = fmt.Sprintf("%d locks are not connected: %s and %d more.", offline, strings.Join(off, ", "), offline-named)
	case offline > 1:
		text = fmt.Sprintf("%d locks are not connected: %s.", offline, strings.Join(off, ", "))
	}
	h.health.update(WarnLockOffline, offline > 0, text)
}

// checkStale raises grants_stale for Nexudus domains whose data is older
// than GrantsStaleAfter, critical past the domain's offline horizon.
func (h *Hub) checkStale(now time.Time) {
	cfg := h.Config()
	if !cfg.NexudusEnabled() {
		h.health.clear(WarnGrantsStale)
		return
	}
	last := h.store.LastSyncs()
	horizons := h.domainHorizons()
	sev := SeverityInfo
	var parts []string
	for _, d := range cfg.Domains {
		if d.NexudusBusiness == "" {
			continue
		}
		t, limit := last[d.ID], horizons[d.ID]
		var age time.Duration
		switch {
		case t.IsZero():
			age = limit // never synced: nothing from Nexudus to trust
			parts = append(parts, fmt.Sprintf("domain %s has never been synced", d.ID))
		case now.Sub(t) > GrantsStaleAfter:
			age = now.Sub(t)
			parts = append(parts, fmt.Sprintf("domain %s was last synced %s ago", d.ID, ago(now, t)))
		default:
			continue
		}
		s := SeverityWarning
		if age >= limit {
			s = SeverityCritical
		}
		sev = max(sev, s)
	}
	if len(parts) == 0 {
		h.health.clear(WarnGrantsStale)
		return
	}
	text := strings.Join(parts, "; ") + "."
	if sev == SeverityCritical {
		text += " Past the locks' offline horizon, open-ended Nexudus grants are denied (data_stale)."
	} else {
		text += " Locks keep deciding from the stored grants until their offline horizon."
	}
	h.health.setSeverity(WarnGrantsStale, sev, text)
}

// eventLogBehind says whether the event log's stage shows the disk falling
// behind: its mover failing to write the store, or more than half of the
// stage waiting for it (appends wait once it is full), and says so.
func eventLogBehind(st events.Stats) (bool, string) {
	if !st.Staged {
		return false, ""
	}
	text := fmt.Sprintf("%.1f of %.0f MiB of the event log's stage wait to be written to its store on disk",
		float64(st.StageBytes)/(1<<20), float64(st.StageSize)/(1<<20))
	if st.StageFailing {
		text += ", and the last write failed (see the hub's log)"
	}
	text += ". Decisions go on and are kept in memory that survives a hub restart but not a power cut; " +
		"when the stage is full they wait for the disk."
	return st.StageFailing || st.StageBytes > st.StageSize/2, text
}

func (h *Hub) checkOutbox(now time.Time) {
	st := h.events.Stats()
	behind, why := eventLogBehind(st)
	h.health.update(WarnEventLogBehind, behind, why)
	h.health.update(WarnOutboxDropped, st.Dropped > 0, fmt.Sprintf(
		"The outbox cap dropped %d un-uploaded events since start (gap records mark them for the upstream). "+
			"Check the upload and raise upstream.outbox_max_events.", st.Dropped))
	h.health.update(WarnEventsUnreadable, st.Unreadable > 0, fmt.Sprintf(
		"When the hub started, %d events written just before a power cut or an OS crash could not be read back "+
			"(they were not yet synced to disk) and were dropped; gap records tell the upstream. "+
			"The warning clears at the next restart. Consider durability: disk if no decision may be lost to a power cut.", st.Unreadable))
	if h.uploader == nil {
		for _, c := range []string{WarnOutboxBacklog, WarnUploadFailing, WarnUploadParked} {
			h.health.clear(c)
		}
		return
	}
	u := h.uploader.Status()
	old := time.Duration(0)
	if !u.OldestPending.IsZero() {
		old = now.Sub(u.OldestPending)
	}
	h.health.update(WarnOutboxBacklog, u.Pending > OutboxBacklogEvents || old > OutboxBacklogAge,
		fmt.Sprintf("%d events wait for upload; the oldest since %s ago.", u.Pending, old.Round(time.Second)))
	text := fmt.Sprintf("%d consecutive upload attempts failed since %s ago", u.Failures, ago(now, u.FailingSince))
	if u.LastError != "" {
		text += ": " + u.LastError
	}
	h.health.update(WarnUploadFailing, u.Failing, text+". Events stay in the outbox.")
	n := 0
	for _, p := range u.Parked {
		n += p.Events
	}
	h.health.update(WarnUploadParked, len(u.Parked) > 0, fmt.Sprintf(
		"%d batches (%d events) were refused by the upstream; retry or discard them through the admin API.",
		len(u.Parked), n))
}

// ago formats now-t for people: 45s, 12m, 3h10m, 2d4h.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return fmtDuration(now.Sub(t))
}

// fmtDuration formats a duration for people, to the minute past an hour.
func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// healthLoop re-checks the health every healthInterval until ctx ends and
// logs each warning when it shows and when it clears (state changes only).
func (h *Hub) healthLoop(ctx context.Context) {
	t := time.NewTicker(healthInterval)
	defer t.Stop()
	shown := map[string]Severity{}
	for {
		now := map[string]Severity{}
		for _, w := range h.checkHealth(h.now()) {
			now[w.Code] = w.Severity
			if sev, ok := shown[w.Code]; !ok || sev != w.Severity {
				h.log.Warn("health warning", "code", w.Code, "severity", w.Severity.String(), "text", w.Text)
			}
		}
		for code := range shown {
			if _, ok := now[code]; !ok {
				h.log.Info("health warning cleared", "code", code)
			}
		}
		shown = now
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
