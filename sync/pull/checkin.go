package pull

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/lockhub/lockhub/sync/nexudus"
)

// checkinBatch is how many event-log records one round reads at a time.
const checkinBatch = 256

// RunCheckins posts the queued check-ins once: every allowed unlock decision
// at a check-in door (policy.Lock.CheckIn) by a Nexudus member, after the
// stored event-log position, becomes a Nexudus check-in (source DoorAccess)
// paced by the client's write budget. The position is stored after each
// posted check-in, so a restart neither loses nor repeats one beyond
// at-least-once (a post whose answer was lost is posted again). A second
// unlock of the same member within Config.CheckinGap posts nothing. It
// returns how many check-ins it posted.
func (s *Syncer) RunCheckins(ctx context.Context) (int, error) {
	if s.unlocks == nil {
		return 0, nil
	}
	s.checkinMu.Lock()
	defer s.checkinMu.Unlock()
	start := s.now()
	n, err := s.checkins(ctx)
	s.stMu.Lock()
	if err != nil {
		s.checkinErr = err.Error()
	} else {
		s.checkinErr = ""
	}
	s.stMu.Unlock()
	if n > 0 || err != nil {
		s.noteJob(JobCheckins, start, s.now().Sub(start), err)
	}
	return n, err
}

func (s *Syncer) checkins(ctx context.Context) (int, error) {
	var pos uint64
	if v, ok := s.store.Cursor(checkinCursor); ok {
		pos, _ = strconv.ParseUint(v, 10, 64)
	}
	doors := map[string]bool{}
	for _, l := range s.store.Locks() {
		if l.CheckIn {
			doors[l.ID] = true
		}
	}
	posted := 0
	for {
		batch, err := s.unlocks.UnlocksAfter(pos, checkinBatch)
		if err != nil {
			return posted, fmt.Errorf("read event log: %w", err)
		}
		if len(batch) == 0 {
			return posted, nil
		}
		for _, u := range batch {
			if u.Allowed && doors[u.Lock] {
				ok, err := s.postCheckin(ctx, u)
				if err != nil {
					return posted, s.saveCheckinPos(ctx, pos, err)
				}
				if ok {
					posted++
				}
			}
			pos = u.Seq
		}
		if err := s.saveCheckinPos(ctx, pos, nil); err != nil {
			return posted, err
		}
	}
}

func (s *Syncer) saveCheckinPos(ctx context.Context, pos uint64, cause error) error {
	ch := &Change{}
	ch.setCursor(checkinCursor, strconv.FormatUint(pos, 10))
	if err := s.store.Apply(ctx, ch); err != nil {
		return fmt.Errorf("store check-in position: %w", err)
	}
	s.stMu.Lock()
	s.checkinSeq = pos
	s.stMu.Unlock()
	return cause
}

// postCheckin posts one check-in, or skips it (false) for a member that is
// not a Nexudus coworker or checked in within the gap.
func (s *Syncer) postCheckin(ctx context.Context, u Unlock) (bool, error) {
	domain, cw, ok := ParseMemberID(u.Member)
	if !ok {
		return false, nil
	}
	d, ok := s.domains[domain]
	if !ok {
		return false, nil
	}
	s.stMu.Lock()
	last := s.lastCheckin[u.Member]
	s.stMu.Unlock()
	if !last.IsZero() && u.Time.Sub(last) < s.cfg.CheckinGap && !u.Time.Before(last) {
		s.met.checkins.WithLabelValues("coalesced").Inc()
		return false, nil
	}
	biz, err := s.businessID(ctx, d.Business)
	if err != nil {
		return false, err
	}
	if _, err := s.poster.PostCheckin(ctx, biz, cw, u.Time); err != nil {
		s.met.checkins.WithLabelValues("error").Inc()
		return false, fmt.Errorf("post check-in: %w", err)
	}
	s.met.checkins.WithLabelValues("posted").Inc()
	s.stMu.Lock()
	s.lastCheckin[u.Member] = u.Time
	s.stMu.Unlock()
	return true, nil
}

// businessID maps a business uniqueId to its numeric id, from the tables
// of the last full pass or, before one, from the businesses list.
func (s *Syncer) businessID(ctx context.Context, unique string) (int64, error) {
	s.applyMu.Lock()
	t := s.tables
	s.applyMu.Unlock()
	if t != nil {
		for id, b := range t.businesses {
			if strings.EqualFold(b.UniqueID, unique) {
				return id, nil
			}
		}
	}
	bizs, err := s.client.ListBusinesses(ctx, nexudus.Query{})
	if err != nil {
		return 0, fmt.Errorf("list businesses: %w", err)
	}
	for _, b := range bizs {
		if strings.EqualFold(b.UniqueID, unique) {
			return b.ID, nil
		}
	}
	return 0, fmt.Errorf("business %s not found in nexudus", unique)
}
