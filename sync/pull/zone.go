package pull

import (
	"context"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/lockhub/lockhub/sync/nexudus"
)

// checkZones cross-checks each domain's IANA zone with its business's
// Nexudus time-zone record (§7): a different UTC offset is reported (Status,
// one log line); the site config's zone is used either way. It runs once
// per Syncer; a failure to read the record is logged and retried next pass.
func (s *Syncer) checkZones(ctx context.Context, bizs []nexudus.Business) {
	s.stMu.Lock()
	done := s.zonesChecked
	s.stMu.Unlock()
	if done {
		return
	}
	var mismatch []string
	for _, d := range s.cfg.Domains {
		var biz *nexudus.Business
		for i := range bizs {
			if strings.EqualFold(bizs[i].UniqueID, d.Business) {
				biz = &bizs[i]
			}
		}
		if biz == nil {
			s.log.Warn("nexudus business of a domain not found", "domain", d.ID, "business", d.Business)
			mismatch = append(mismatch, d.ID)
			continue
		}
		if biz.SimpleTimeZoneID == "" {
			continue
		}
		tz, err := s.client.GetTimeZone(ctx, biz.SimpleTimeZoneID)
		if err != nil {
			s.log.Warn("read nexudus time zone", "domain", d.ID, "err", err)
			return
		}
		off, ok := zoneOffset(tz)
		if !ok {
			continue
		}
		if !offsetFits(d.Zone, off, s.now().Year()) {
			s.log.Warn("nexudus time zone disagrees with the site config; using the site config's zone",
				"domain", d.ID, "zone", d.Zone.String(), "nexudus_zone", tz.Name)
			mismatch = append(mismatch, d.ID)
		}
	}
	s.stMu.Lock()
	s.zonesChecked = true
	s.zoneMismatch = mismatch
	s.stMu.Unlock()
}

// zoneOffset reads a Nexudus zone's standard offset from TimeOffset
// ("+01:00", "01:00:00", "-05:00") or a "(UTC+01:00)" in its name.
func zoneOffset(tz *nexudus.TimeZone) (time.Duration, bool) {
	for _, s := range []string{tz.TimeOffset, between(tz.Description, "(UTC", ")"), between(tz.Name, "(UTC", ")")} {
		if d, ok := parseOffset(s); ok {
			return d, true
		}
	}
	return 0, false
}

func between(s, open, close string) string {
	_, rest, ok := strings.Cut(s, open)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, close)
	return v
}

func parseOffset(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	sign := time.Duration(1)
	switch s[0] {
	case '-':
		sign, s = -1, s[1:]
	case '+':
		s = s[1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 {
		return 0, false
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || h > 14 || m > 59 {
		return 0, false
	}
	return sign * (time.Duration(h)*time.Hour + time.Duration(m)*time.Minute), true
}

// offsetFits reports whether loc is at off in January or July of this year
// (standard or summer time).
func offsetFits(loc *time.Location, off time.Duration, y int) bool {
	for _, m := range []time.Month{time.January, time.July} {
		_, o := time.Date(y, m, 1, 12, 0, 0, 0, loc).Zone()
		if time.Duration(o)*time.Second == off {
			return true
		}
	}
	return false
}

// noteResourceZones gives the client the zone of each resource's business
// (through the domains that follow it), so that its time-mode detector
// judges every booking pair in the zone the booking's local twin is in
// (nexudus.Client.SetResourceZones). Resources whose business no domain
// follows keep the client's default zone.
func (s *Syncer) noteResourceZones(bizs map[int64]nexudus.Business, resources ...iter.Seq[nexudus.Resource]) {
	byBusiness := map[string]*time.Location{}
	for _, d := range s.cfg.Domains {
		if d.Zone != nil {
			if _, dup := byBusiness[strings.ToLower(d.Business)]; !dup {
				byBusiness[strings.ToLower(d.Business)] = d.Zone
			}
		}
	}
	zones := map[int64]*time.Location{}
	for _, rs := range resources {
		for r := range rs {
			if b, ok := bizs[r.BusinessID]; ok {
				if z := byBusiness[strings.ToLower(b.UniqueID)]; z != nil {
					zones[r.ID] = z
				}
			}
		}
	}
	s.client.SetResourceZones(zones)
}
