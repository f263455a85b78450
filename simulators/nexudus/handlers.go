package nexudus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func (s *Server) handleDeleteBooking(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		writeResult(w, http.StatusBadRequest, "Id: must be a number", 0)
		return
	}
	if err := s.DeleteBooking(id); err != nil {
		writeResult(w, http.StatusNotFound, "Booking not found", 0)
		return
	}
	writeResult(w, http.StatusOK, "Booking was successfully deleted.", id)
}

func (s *Server) handleDeletePass(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		writeResult(w, http.StatusBadRequest, "Id: must be a number", 0)
		return
	}
	if err := s.DeletePass(id); err != nil {
		writeResult(w, http.StatusNotFound, "CoworkerTimePass not found", 0)
		return
	}
	writeResult(w, http.StatusOK, "CoworkerTimePass was successfully deleted.", id)
}

// handlePostCheckin creates a check-in (nexudus.md §3.4): BusinessId and
// FromTime are required; the webhook fires (trigger 8).
func (s *Server) handlePostCheckin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CoworkerID int    `json:"CoworkerId"`
		BusinessID int    `json:"BusinessId"`
		Source     int    `json:"Source"`
		FromTime   string `json:"FromTime"`
		ToTime     string `json:"ToTime"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	if err := dec.Decode(&in); err != nil {
		writeResult(w, http.StatusBadRequest, "Body: could not be read", 0)
		return
	}
	if in.BusinessID == 0 {
		writeResult(w, http.StatusBadRequest, "BusinessId: is required", 0)
		return
	}
	var id int
	err := s.change(func(now time.Time) error {
		if _, err := get(s.st.businesses, "business", in.BusinessID); err != nil {
			return err
		}
		if _, err := get(s.st.coworkers, "coworker", in.CoworkerID); err != nil {
			return err
		}
		loc := renderer{st: s.st}.businessLoc(in.BusinessID)
		from, err := s.parseWriteTime(in.FromTime, loc)
		if err != nil {
			return fmt.Errorf("FromTime: %w", err)
		}
		to, err := s.parseWriteTime(in.ToTime, loc)
		if err != nil && in.ToTime != "" {
			return fmt.Errorf("ToTime: %w", err)
		}
		id = s.st.newID("checkin")
		s.st.checkins[id] = &checkin{id: id, uid: s.guidLocked(), coworkerID: in.CoworkerID, businessID: in.BusinessID,
			source: in.Source, from: from, to: to, stamps: newStamps(now)}
		s.hooks.triggerLocked(in.BusinessID, in.CoworkerID, now)
		return nil
	})
	if err != nil {
		writeResult(w, http.StatusBadRequest, err.Error(), 0)
		return
	}
	writeResult(w, http.StatusOK, "Checkin was successfully created.", id)
}

// parseWriteTime reads a time a client writes: RFC 3339 with an offset is an
// instant; without one it is read in the time mode's clock (UTC, or the
// location's wall clock). Runs under s.mu.
func (s *Server) parseWriteTime(v string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, errors.New("is required")
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil && !strings.HasSuffix(v, "Z") {
		return t, nil
	}
	v = strings.TrimSuffix(v, "Z")
	t, err := time.Parse("2006-01-02T15:04:05", v)
	if err != nil {
		if t, err = time.Parse("2006-01-02T15:04", v); err != nil {
			return time.Time{}, errors.New("must be YYYY-MM-DDTHH:mm:ss")
		}
	}
	if s.mode == TimeModeWallclock {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc), nil
	}
	return t, nil
}

// CallAccessGroups acts as Nexudus opening the access-control page: it GETs
// url with X-Nexudus-Business-UniqueId (the first business) and
// X-Nexudus-User-UniqueId, plus the bearer token when not empty (nexudus.md
// §1, §5 Q1). It reads an array of objects with "id" and "name" keys (any
// case), remembers them as the known groups, and returns them.
func (s *Server) CallAccessGroups(ctx context.Context, url, token string) ([]AccessGroup, error) {
	s.mu.RLock()
	var buid string
	if b := s.st.businesses[s.firstBusinessLocked()]; b != nil {
		buid = b.uid
	}
	s.mu.RUnlock()
	s.hooks.mu.Lock()
	client := s.hooks.cfg.Client
	s.hooks.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("build access-groups request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Nexudus-Business-UniqueId", buid)
	req.Header.Set("X-Nexudus-User-UniqueId", s.cfg.AdminUserUniqueID)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("call access groups: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read access groups: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("access groups: status %d", resp.StatusCode)
	}
	var items []map[string]any
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("decode access groups: %w", err)
	}
	out := make([]AccessGroup, 0, len(items))
	for _, it := range items {
		var g AccessGroup
		for k, v := range it {
			str, _ := v.(string)
			if f, ok := v.(float64); ok {
				str = strconv.FormatFloat(f, 'f', -1, 64)
			}
			switch strings.ToLower(k) {
			case "id":
				g.ID = str
			case "name":
				g.Name = str
			}
		}
		if g.ID == "" {
			return nil, errors.New("decode access groups: an item has no id")
		}
		out = append(out, g)
	}
	for _, g := range out {
		s.AddAccessGroup(g.ID, g.Name)
	}
	return out, nil
}

// Run serves the fake on addr until ctx ends, and every second applies the
// clock (Tick) and delivers queued webhooks. It returns after the listener
// and the loop have stopped.
func (s *Server) Run(ctx context.Context, addr string, log *slog.Logger) error {
	if log == nil {
		log = s.log
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	return s.Serve(ctx, ln, log)
}

// Serve is Run on a listener the caller bound (port 0 in tests).
func (s *Server) Serve(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	if log == nil {
		log = s.log
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("fake nexudus listening", "addr", ln.Addr().String(), "time_mode", s.TimeMode())
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.Tick()
				if err := s.DeliverWebhooks(ctx); err != nil && ctx.Err() == nil {
					log.Warn("deliver webhooks", "err", err)
				}
			}
		}
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut)
	stop()
	<-loopDone
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
