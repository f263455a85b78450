package hub

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/sync/pull"

	"github.com/lockhub/lockhub/sync/upload"
)

// openUpload makes the event uploader (when upstream.url is set) and the
// retention job (always: personal data must not outlive its retention
// whether or not events are uploaded).
func (h *Hub) openUpload(cfg *Config) error {
	retentions := make(map[string]time.Duration, len(cfg.Domains))
	for _, d := range cfg.Domains {
		retentions[d.ID] = d.Retention.Std()
	}
	var err error
	if h.retention, err = upload.NewRetention(upload.RetentionConfig{Domains: retentions},
		upload.RetentionDeps{Log: h.events, EraseMembers: h.eraseDeparted, Logger: h.log, Now: h.now}); err != nil {
		return fmt.Errorf("start retention job: %w", err)
	}
	u := cfg.Upstream
	if u.URL == "" {
		return nil
	}
	token, err := cfg.Secret(u.Token())
	if err != nil {
		return err
	}
	h.uploader, err = upload.New(upload.Config{
		URL:            u.URL,
		Token:          token,
		HubID:          cfg.Site.ID,
		Epoch:          h.store.Epoch(),
		Schedule:       "@every " + u.Interval.Std().String(),
		MaxBatchEvents: u.BatchMaxEvents,
		MaxBatchBytes:  int(u.BatchMaxBytes),
	}, upload.Deps{Outbox: h.events, Logger: h.log, Registerer: h.reg, Now: h.now})
	if err != nil {
		return fmt.Errorf("start event uploader: %w", err)
	}
	return nil
}

// eraseDeparted deletes the domain's members that Nexudus stopped listing
// before cutoff (the sync records when: pull.DepartedPrefix), with their
// credentials and grants, as one batch.
func (h *Hub) eraseDeparted(ctx context.Context, domain string, cutoff time.Time) (int, error) {
	b := store.NewBatch()
	n := 0
	for name, v := range h.store.Cursors(pull.DepartedPrefix) {
		id := strings.TrimPrefix(name, pull.DepartedPrefix)
		if dom, _, ok := pull.ParseMemberID(id); !ok || dom != domain {
			continue
		}
		if at, err := time.Parse(time.RFC3339, v); err != nil || !at.Before(cutoff) {
			continue
		}
		b.DeleteMember(id)
		b.SetCursor(name, "")
		n++
	}
	if n == 0 {
		return 0, nil
	}
	if err := h.store.Apply(ctx, b); err != nil {
		return 0, err
	}
	return n, nil
}

// RunRetention runs the retention job once, now (it also runs on its own
// schedule inside Run).
func (h *Hub) RunRetention(ctx context.Context) error { return h.retention.RunOnce(ctx) }
