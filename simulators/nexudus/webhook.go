package nexudus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// WebhookConfig configures the Custom ACS webhook sender (nexudus.md §2).
type WebhookConfig struct {
	URL    string // empty: no webhooks are queued
	Bearer string // sent as Authorization: Bearer <Bearer>
	// Client sends the requests; nil means a client with a 10 s timeout.
	Client *http.Client
	// MaxRetries is how often a failed delivery is retried; zero means 10.
	MaxRetries int
	// DisableAfter consecutive failed requests disable the webhook, as
	// Nexudus does ([S11]); zero means 10.
	DisableAfter int
	// RetryDelay is the real-time wait between attempts; zero means 1 s.
	RetryDelay time.Duration
	// Lead and Lag place the timers before a booking starts and after it
	// ends; zero means 15 min each.
	Lead, Lag time.Duration
}

// WebhookSwitches deliberately misbehave, to test the receiver.
type WebhookSwitches struct {
	Duplicate bool // send every notification twice
	Reorder   bool // send each batch newest first
	Drop      bool // lose every notification (no request at all)
}

// WebhookStats counts the sender's work.
type WebhookStats struct {
	Queued    int // notifications waiting for Deliver
	Delivered int // notifications answered 2xx
	Attempts  int // HTTP requests made
	Failures  int // failed requests (non-2xx or transport error)
	Dropped   int // notifications lost (Drop switch, retries exhausted, disabled)
	Disabled  bool
}

type notification struct {
	businessID, coworkerID int
	body                   []byte
}

type webhookSender struct {
	s        *Server
	mu       sync.Mutex
	cfg      WebhookConfig
	sw       WebhookSwitches
	queue    []notification
	lastTick time.Time
	stats    WebhookStats
	failRun  int
}

func withWebhookDefaults(c WebhookConfig) WebhookConfig {
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if c.MaxRetries <= 0 {
		c.MaxRetries = 10
	}
	if c.DisableAfter <= 0 {
		c.DisableAfter = 10
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = time.Second
	}
	if c.Lead <= 0 {
		c.Lead = 15 * time.Minute
	}
	if c.Lag <= 0 {
		c.Lag = 15 * time.Minute
	}
	return c
}

func newWebhookSender(s *Server, cfg WebhookConfig) *webhookSender {
	return &webhookSender{s: s, cfg: withWebhookDefaults(cfg), lastTick: s.now()}
}

// SetWebhook replaces the webhook configuration and re-enables a disabled
// webhook, as an operator saving the Custom ACS form does.
func (s *Server) SetWebhook(cfg WebhookConfig) {
	h := s.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cfg = withWebhookDefaults(cfg)
	h.stats.Disabled = false
	h.failRun = 0
}

// SetWebhookSwitches sets the duplicate/reorder/drop switches at run time.
func (s *Server) SetWebhookSwitches(sw WebhookSwitches) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.sw = sw
}

// WebhookStats returns the sender's counters.
func (s *Server) WebhookStats() WebhookStats {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	st := s.hooks.stats
	st.Queued = len(s.hooks.queue)
	return st
}

func (h *webhookSender) window() (time.Duration, time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cfg.Lead, h.cfg.Lag
}

func (h *webhookSender) swapLastTick(now time.Time) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	last := h.lastTick
	h.lastTick = now
	return last
}

func (h *webhookSender) inWindowLocked(b *booking, now time.Time) bool {
	lead, lag := h.window()
	return !now.Before(b.from.Add(-lead)) && now.Before(b.to.Add(lag))
}

// The JSON body (nexudus.md §2; card, fob and name keys are the guessed ones).
type hookBody struct {
	Time     string         `json:"time"`
	Business hookBusiness   `json:"business"`
	Coworker hookCoworker   `json:"coworker"`
	Groups   []string       `json:"groups"`
	Schedule []hookSchedule `json:"schedule"`
}

type hookBusiness struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	UniqueID string `json:"uniqueId"`
}

type hookCoworker struct {
	ID            int    `json:"id"`
	Email         string `json:"email"`
	UniqueID      string `json:"uniqueId"`
	AccessPincode string `json:"accessPincode"`
	AccessCardID  string `json:"accessCardId"`
	KeyFobNumber  string `json:"keyFobNumber"`
	FullName      string `json:"fullName"`
}

type hookSchedule struct {
	Group     string `json:"group"`
	ExpiresOn string `json:"expires_on"`
}

// triggerLocked queues a notification for (business, coworker) with the
// access computed now. Runs under s.mu.
func (h *webhookSender) triggerLocked(bid, cid int, now time.Time) {
	h.mu.Lock()
	cfg := h.cfg
	h.mu.Unlock()
	if cfg.URL == "" {
		return
	}
	b, c := h.s.st.businesses[bid], h.s.st.coworkers[cid]
	if b == nil || c == nil {
		return
	}
	groups, exp := h.s.accessLocked(bid, cid, now, cfg.Lead, cfg.Lag)
	body := hookBody{
		Time:     webhookTime(now),
		Business: hookBusiness{ID: b.id, Name: b.name, UniqueID: b.uid},
		Coworker: hookCoworker{ID: c.id, Email: c.email, UniqueID: c.uid, AccessPincode: c.pin,
			AccessCardID: c.card, KeyFobNumber: c.fob, FullName: c.fullName},
		Groups:   groups,
		Schedule: []hookSchedule{},
	}
	for _, g := range groups {
		if t, ok := exp[g]; ok {
			body.Schedule = append(body.Schedule, hookSchedule{Group: g, ExpiresOn: webhookExpiry(t)})
		}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return
	}
	h.mu.Lock()
	h.queue = append(h.queue, notification{businessID: bid, coworkerID: cid, body: raw})
	h.mu.Unlock()
}

// triggerBookingLocked queues a notification for a booking's customer.
func (h *webhookSender) triggerBookingLocked(b *booking, now time.Time) {
	if b.coworkerID == 0 {
		return
	}
	if r := h.s.st.resources[b.resourceID]; r != nil {
		h.triggerLocked(r.businessID, b.coworkerID, now)
	}
}

// triggerCoworkerLocked queues a notification for every business the
// customer has a relation with (home location and booked resources).
func (h *webhookSender) triggerCoworkerLocked(cid int, now time.Time) {
	c := h.s.st.coworkers[cid]
	if c == nil {
		return
	}
	bids := map[int]bool{c.businessID: true}
	for _, b := range h.s.st.bookings {
		if r := h.s.st.resources[b.resourceID]; b.coworkerID == cid && r != nil {
			bids[r.businessID] = true
		}
	}
	ids := make([]int, 0, len(bids))
	for id := range bids {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		h.triggerLocked(id, cid, now)
	}
}

// Notify queues a notification for a customer in a business, as trigger 8
// (check-in/out) or any "potential change" does: often a no-op duplicate.
func (s *Server) Notify(businessID, coworkerID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks.triggerLocked(businessID, coworkerID, s.now())
}

// DeliverWebhooks sends every queued notification, applying the switches,
// and retries failures up to MaxRetries times with RetryDelay between
// attempts. It blocks until done or ctx ends.
func (s *Server) DeliverWebhooks(ctx context.Context) error {
	h := s.hooks
	h.mu.Lock()
	batch, cfg, sw := h.queue, h.cfg, h.sw
	h.queue = nil
	h.mu.Unlock()
	if sw.Reorder {
		for i, j := 0, len(batch)-1; i < j; i, j = i+1, j-1 {
			batch[i], batch[j] = batch[j], batch[i]
		}
	}
	for _, n := range batch {
		copies := 1
		if sw.Duplicate {
			copies = 2
		}
		for range copies {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("deliver webhooks: %w", err)
			}
			h.deliver(ctx, cfg, sw, n.body)
		}
	}
	return nil
}

func (h *webhookSender) deliver(ctx context.Context, cfg WebhookConfig, sw WebhookSwitches, body []byte) {
	h.mu.Lock()
	if sw.Drop || h.stats.Disabled {
		h.stats.Dropped++
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	for attempt := 0; attempt <= cfg.MaxRetries; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(cfg.RetryDelay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		ok := h.post(ctx, cfg, body)
		h.mu.Lock()
		h.stats.Attempts++
		if ok {
			h.stats.Delivered++
			h.failRun = 0
			h.mu.Unlock()
			return
		}
		h.stats.Failures++
		h.failRun++
		if h.failRun >= cfg.DisableAfter {
			h.stats.Disabled = true
			h.stats.Dropped++
			h.mu.Unlock()
			h.s.log.Warn("webhook disabled after consecutive failures", "failures", h.failRun)
			return
		}
		h.mu.Unlock()
	}
	h.mu.Lock()
	h.stats.Dropped++
	h.mu.Unlock()
}

func (h *webhookSender) post(ctx context.Context, cfg WebhookConfig, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	if cfg.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.Bearer)
	}
	resp, err := cfg.Client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}
