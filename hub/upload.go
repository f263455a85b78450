package hub

import (
	"fmt"
	"time"

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
		upload.RetentionDeps{Log: h.events, Logger: h.log, Now: h.now}); err != nil {
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
