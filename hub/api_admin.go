package hub

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/lockhub/lockhub/devices"
	"github.com/lockhub/lockhub/policy"
)

// adminRoute is one admin action endpoint (POST, admin token required).
type adminRoute struct {
	Method, Path string
	Handler      http.HandlerFunc
}

// adminRoutes lists the admin API. Paths use net/http.ServeMux patterns
// ({lock} is a path wildcard): register each as Method+" "+Path.
func (h *Hub) adminRoutes() []adminRoute {
	return []adminRoute{
		{http.MethodPost, "/api/admin/locks", h.handle(h.provisionLock)},
		{http.MethodPost, "/api/admin/locks/{lock}/rotate", h.handle(h.rotateLock)},
		{http.MethodPost, "/api/admin/locks/{lock}/unlock", h.handle(h.remoteUnlock)},
		{http.MethodPost, "/api/admin/locks/{lock}/lockdown", h.handle(h.lockdown)},
		{http.MethodPost, "/api/admin/locks/{lock}/release", h.handle(h.release)},
		{http.MethodPost, "/api/admin/locks/{lock}/keypad/clear", h.handle(h.clearKeypad)},
		{http.MethodPost, "/api/admin/revoke", h.handle(h.revoke)},
		{http.MethodPost, "/api/admin/unrevoke", h.handle(h.unrevoke)},
		{http.MethodGet, "/api/admin/revocations", h.handle(h.listRevocations)},
		{http.MethodPost, "/api/admin/clock/reset", h.handle(h.resetClock)},
		{http.MethodPost, "/api/admin/backup", h.backupHandler},
	}
}

// handle adapts an action returning (status, body, error) to a handler.
func (h *Hub) handle(f func(r *http.Request, actor string) (int, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		actor, err := actorOf(r)
		if err != nil {
			h.writeErr(w, r, err)
			return
		}
		status, body, err := f(r, actor)
		if err != nil {
			h.writeErr(w, r, err)
			return
		}
		writeJSON(w, status, body)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// knownLock returns the lock named by the path, or a 404.
func (h *Hub) knownLock(r *http.Request) (policy.Lock, error) {
	id := r.PathValue("lock")
	var l policy.Lock
	var ok bool
	h.store.View(func(v policy.View) {
		if p := v.Lock(id); p != nil {
			l, ok = *p, true
		}
	})
	if !ok {
		return l, errorf(http.StatusNotFound, "unknown lock %q", id)
	}
	return l, nil
}

// LockActionResponse answers the lock actions.
type LockActionResponse struct {
	Lock      string        `json:"lock"`
	Action    string        `json:"action"`
	State     LockStateJSON `json:"state"`
	Delivered bool          `json:"delivered"`         // the lock was sent the command
	Warning   string        `json:"warning,omitempty"` // e.g. lock offline
}

// lockAction runs a stored-state lock action: the state is kept (decisions
// follow it) even when the lock is offline, which the answer says.
func (h *Hub) lockAction(r *http.Request, action string, f func(l policy.Lock) error) (int, any, error) {
	l, err := h.knownLock(r)
	if err != nil {
		return 0, nil, err
	}
	resp := LockActionResponse{Lock: l.ID, Action: action, Delivered: true}
	if err := f(l); err != nil {
		if !errors.Is(err, devices.ErrLockOffline) {
			return 0, nil, err
		}
		resp.Delivered = false
		resp.Warning = "lock is offline: the state is stored and decisions follow it; the lock is not told until it is online again"
	}
	resp.State = lockStateJSON(h.store.LockState(l.ID))
	return http.StatusOK, resp, nil
}

type onBody struct {
	On *bool `json:"on"`
}

func (b *onBody) read(r *http.Request) (bool, error) {
	if err := decodeBody(r, b); err != nil {
		return false, err
	}
	if b.On == nil {
		return false, errorf(http.StatusBadRequest, `want {"on": true} or {"on": false}`)
	}
	return *b.On, nil
}

func onOff(name string, on bool) string {
	if on {
		return name + "_on"
	}
	return name + "_off"
}

func (h *Hub) lockdown(r *http.Request, actor string) (int, any, error) {
	var b onBody
	on, err := b.read(r)
	if err != nil {
		return 0, nil, err
	}
	return h.lockAction(r, onOff("lockdown", on), func(l policy.Lock) error {
		return h.locks.SetLockdown(r.Context(), l.ID, on, actor)
	})
}

// release turns an emergency release on or off. A release overrides
// lockdown (policy.Decide); egress never depends on the hub: it is
// mechanical, the lock's business (docs/backup.md, "Life safety").
func (h *Hub) release(r *http.Request, actor string) (int, any, error) {
	var b onBody
	on, err := b.read(r)
	if err != nil {
		return 0, nil, err
	}
	return h.lockAction(r, onOff("release", on), func(l policy.Lock) error {
		return h.locks.SetRelease(r.Context(), l.ID, on, actor)
	})
}

func (h *Hub) clearKeypad(r *http.Request, actor string) (int, any, error) {
	if err := decodeBody(r, &struct{}{}); err != nil {
		return 0, nil, err
	}
	return h.lockAction(r, "keypad_unlock", func(l policy.Lock) error {
		return h.locks.ClearKeypadLockout(r.Context(), l.ID, actor)
	})
}

// maxRemoteUnlock bounds a remote unlock's duration.
const maxRemoteUnlock = 10 * time.Minute

func (h *Hub) remoteUnlock(r *http.Request, actor string) (int, any, error) {
	var b struct {
		DurationMS int64 `json:"duration_ms"` // 0: the lock's unlock duration
	}
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	if b.DurationMS < 0 || time.Duration(b.DurationMS)*time.Millisecond > maxRemoteUnlock {
		return 0, nil, errorf(http.StatusBadRequest, "duration_ms: want 0 (the lock's default) to %d", maxRemoteUnlock.Milliseconds())
	}
	l, err := h.knownLock(r)
	if err != nil {
		return 0, nil, err
	}
	d := time.Duration(b.DurationMS) * time.Millisecond
	if d == 0 {
		d = l.Unlock()
	}
	if err := h.locks.RemoteUnlock(r.Context(), l.ID, d, actor); err != nil {
		if errors.Is(err, devices.ErrLockOffline) {
			return 0, nil, errorf(http.StatusConflict, "lock %s is offline: remote unlock not delivered", l.ID)
		}
		return 0, nil, err
	}
	return http.StatusOK, LockActionResponse{Lock: l.ID, Action: "remote_unlock", Delivered: true,
		State: lockStateJSON(h.store.LockState(l.ID))}, nil
}

// ClockResetResponse answers POST /api/admin/clock/reset.
type ClockResetResponse struct {
	Previous  *time.Time `json:"previous"`
	ClockMark *time.Time `json:"clock_mark"`
	Now       time.Time  `json:"now"`
}

// resetClock sets the clock mark to "to" (default: now; {"clear": true}
// removes it), for an admin who has fixed the box's clock.
func (h *Hub) resetClock(r *http.Request, actor string) (int, any, error) {
	var b struct {
		To    *time.Time `json:"to"`
		Clear bool       `json:"clear"`
	}
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	now := h.now()
	to := now
	switch {
	case b.Clear && b.To != nil:
		return 0, nil, errorf(http.StatusBadRequest, "give to or clear, not both")
	case b.Clear:
		to = time.Time{}
	case b.To != nil:
		if b.To.After(now) {
			return 0, nil, errorf(http.StatusBadRequest, "to: %s is after the hub's clock (%s): fix the clock first", b.To.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
		to = *b.To
	}
	prev := h.store.ClockMark().Newest
	if err := h.store.ResetClockMark(to); err != nil {
		return 0, nil, fmt.Errorf("reset clock mark: %w", err)
	}
	if err := h.recordAdmin(r.Context(), adminEvent{Action: "clock_reset", Actor: actor}); err != nil {
		return 0, nil, err
	}
	h.log.Info("clock mark reset", "previous", prev, "clock_mark", to, "actor", actor)
	return http.StatusOK, ClockResetResponse{Previous: optTime(prev), ClockMark: optTime(h.store.ClockMark().Newest), Now: now.UTC()}, nil
}
