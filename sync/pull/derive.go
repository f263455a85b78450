package pull

import (
	"slices"
	"strings"
	"time"

	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/sync/nexudus"
)

// tables are the Nexudus records grants are derived from, kept between
// passes so an incremental pass can re-derive what changed.
type tables struct {
	businesses map[int64]nexudus.Business
	resources  map[int64]nexudus.Resource
	timePasses map[int64]nexudus.TimePass
	slots      map[int64][]nexudus.TimePassTimeSlot // by TimePassID
	desks      map[int64]nexudus.FloorPlanDesk
	contracts  map[int64]nexudus.CoworkerContract
	uniqueIDs  map[string]int64 // coworker uniqueId → id, for webhooks without an id
}

func newTables() *tables {
	return &tables{
		businesses: map[int64]nexudus.Business{}, resources: map[int64]nexudus.Resource{},
		timePasses: map[int64]nexudus.TimePass{}, slots: map[int64][]nexudus.TimePassTimeSlot{},
		desks: map[int64]nexudus.FloorPlanDesk{}, contracts: map[int64]nexudus.CoworkerContract{},
		uniqueIDs: map[string]int64{},
	}
}

// contractDesks returns the desks on contract k: the desk side
// (CoworkerContractIds, Q7) plus the contract row's FloorPlanDeskIds.
func (t *tables) contractDesks(k *nexudus.CoworkerContract) []int64 {
	id := k.ID
	var out []int64
	for did, d := range t.desks {
		for _, s := range d.CoworkerContractIDs {
			if n, ok := nexudus.StringID(s).Int64(); ok && n == id {
				out = append(out, did)
				break
			}
		}
	}
	for _, s := range k.FloorPlanDeskIDs {
		if n, ok := nexudus.StringID(s).Int64(); ok && !slices.Contains(out, n) {
			if _, known := t.desks[n]; known {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}

// deriver turns Nexudus records into grants for one pass at one instant.
type deriver struct {
	cfg      *Config
	t        *tables
	mode     nexudus.TimeMode
	now      time.Time
	horizon  time.Time                // now + Prestage: nothing starting later is stored
	accesses map[string]policy.Access // hub keys by id
	domains  map[string]Domain        // by id
	byBiz    map[string][]Domain      // business uniqueId → domains
	unknown  func(group string)       // reports a group that names no key
}

// domainFor returns the domain of the access named by group when that domain
// follows the business with int id biz; ok is false (and the group reported)
// otherwise.
func (d *deriver) domainFor(group string, biz int64) (Domain, bool) {
	a, ok := d.accesses[group]
	if ok {
		dom, dok := d.domains[a.Domain]
		if dok && (biz == 0 || strings.EqualFold(d.bizUnique(biz), dom.Business)) {
			return dom, true
		}
	}
	d.unknown(group)
	return Domain{}, false
}

func (d *deriver) bizUnique(id int64) string {
	if b, ok := d.t.businesses[id]; ok {
		return b.UniqueID
	}
	return ""
}

func (d *deriver) grant(kind policy.GrantKind, ref string, dom Domain, coworker int64, group string, from, until time.Time) policy.Grant {
	return policy.Grant{
		GrantKey: policy.GrantKey{Origin: policy.OriginNexudusREST, Kind: kind, Reference: ref},
		Member:   MemberID(dom.ID, coworker), Access: group, From: from, Until: until,
	}
}

// booking derives a booking's grants: its resource's groups (and its desk's),
// from start − MarginBefore until end + MarginAfter. Tentative bookings grant
// nothing in REST (Q13); ended ones and those past the horizon are skipped.
func (d *deriver) booking(b *nexudus.Booking, out []policy.Grant) []policy.Grant {
	if b.Tentative || b.CoworkerID == 0 {
		return out
	}
	var groups []string
	var biz int64
	if r, ok := d.t.resources[b.ResourceID]; ok {
		groups, biz = r.Groups(), r.BusinessID
	}
	if desk, ok := d.t.desks[b.FloorPlanDeskID]; ok && desk.AccessControlGroupID != "" {
		groups = append(groups, string(desk.AccessControlGroupID))
		if biz == 0 {
			biz = desk.FloorPlanBusinessID
		}
	}
	for _, g := range dedupe(groups) {
		dom, ok := d.domainFor(g, biz)
		if !ok {
			continue
		}
		from := b.Start(d.mode, dom.Zone).Add(-d.cfg.MarginBefore)
		until := b.End(d.mode, dom.Zone).Add(d.cfg.MarginAfter)
		if !until.After(d.now) || from.After(d.horizon) || !until.After(from) {
			continue
		}
		out = append(out, d.grant(policy.KindBooking, bookingRef(b.ID, g), dom, b.CoworkerID, g, from, until))
	}
	return out
}

// pass derives a held pass's grants while it is valid: not used, not
// expired. A day pass without an expiry covers its calendar day (today, in
// the domain's zone). Time slots restrict the pass: one grant per slot
// occurrence between now and the horizon.
func (d *deriver) pass(p *nexudus.CoworkerTimePass, out []policy.Grant) []policy.Grant {
	if p.Used {
		return out
	}
	tp, ok := d.t.timePasses[p.TimePassID]
	if !ok {
		return out
	}
	for _, g := range tp.Groups() {
		dom, ok := d.domainFor(g, p.BusinessID)
		if !ok {
			continue
		}
		until := p.ExpireDate.Instant(d.mode, dom.Zone)
		if until.IsZero() && tp.IsDayPass() {
			until = dayStart(d.now, dom.Zone).AddDate(0, 0, 1)
		}
		if !until.IsZero() && !until.After(d.now) {
			continue
		}
		slots := d.t.slots[tp.ID]
		if len(slots) == 0 {
			out = append(out, d.grant(policy.KindPass, passRef(p.ID, g), dom, p.CoworkerID, g, time.Time{}, until))
			continue
		}
		out = d.slotGrants(p, g, dom, slots, until, out)
	}
	return out
}

func (d *deriver) slotGrants(p *nexudus.CoworkerTimePass, g string, dom Domain, slots []nexudus.TimePassTimeSlot,
	until time.Time, out []policy.Grant) []policy.Grant {
	end := d.horizon
	if !until.IsZero() && until.Before(end) {
		end = until
	}
	for day := dayStart(d.now, dom.Zone); day.Before(end); day = nextDay(day) {
		for _, s := range slots {
			if time.Weekday(s.DayOfWeek) != day.Weekday() {
				continue
			}
			from := atClock(day, s.FromTime.Wall())
			to := atClock(day, s.ToTime.Wall())
			if !to.After(from) { // a slot ending at 00:00 (or spanning midnight) ends next day
				to = atClock(nextDay(day), s.ToTime.Wall())
			}
			if to.After(end) {
				to = end
			}
			if !to.After(d.now) || !to.After(from) {
				continue
			}
			out = append(out, d.grant(policy.KindPass, passSlotRef(p.ID, g, from.In(dom.Zone)), dom, p.CoworkerID, g, from, to))
		}
	}
	return out
}

// contract derives a contract's desk and office grants, from its start until
// its cancellation date (open-ended without one: the offline horizon then
// applies in Decide). A contract that has not started is pre-staged when it
// starts before the horizon; an inactive one that has started grants nothing.
func (d *deriver) contract(k *nexudus.CoworkerContract, out []policy.Grant) []policy.Grant {
	if k.CoworkerID == 0 {
		return out
	}
	for _, did := range d.t.contractDesks(k) {
		desk := d.t.desks[did]
		groups := []string{string(desk.AccessControlGroupID)}
		if desk.AccessControlGroupID == "" {
			r := d.t.resources[desk.ResourceID]
			groups = r.Groups()
		}
		for _, g := range dedupe(groups) {
			dom, ok := d.domainFor(g, desk.FloorPlanBusinessID)
			if !ok {
				continue
			}
			from := k.Start(d.mode, dom.Zone)
			until := k.CancellationAt(d.mode, dom.Zone)
			switch {
			case !until.IsZero() && !until.After(d.now): // cancelled: revoked
				continue
			case from.After(d.horizon):
				continue
			case !k.Active && !from.After(d.now): // started but not active (paused, ended): fail closed
				continue
			}
			out = append(out, d.grant(policy.KindContract, contractRef(k.ID, did, g), dom, k.CoworkerID, g, from, until))
		}
	}
	return out
}

// member derives a coworker's member records, one per domain, with the
// credentials that canonicalise; bad values are reported without the value.
func (d *deriver) members(c *nexudus.Coworker, digest func(policy.CredentialType, string) (policy.Credential, error),
	bad func(member string, t policy.CredentialType, err error)) []MemberPut {
	status := policy.StatusActive
	switch {
	case c.Archived:
		status = policy.StatusArchived
	case !c.Active:
		status = policy.StatusInactive
	}
	out := make([]MemberPut, 0, len(d.cfg.Domains))
	for _, dom := range d.cfg.Domains {
		id := MemberID(dom.ID, c.ID)
		var creds []policy.Credential
		add := func(t policy.CredentialType, raw string) {
			if raw == "" {
				return
			}
			cr, err := digest(t, raw)
			if err != nil {
				bad(id, t, err)
				return
			}
			creds = append(creds, cr)
		}
		for _, card := range c.Cards() {
			add(policy.CredCard, card)
		}
		add(policy.CredFob, c.KeyFobNumber)
		add(policy.CredPIN, c.AccessPincode)
		out = append(out, MemberPut{Member: policy.Member{ID: id, Domain: dom.ID, Name: c.FullName, Email: c.Email,
			Status: status, Origin: policy.OriginNexudusREST}, Credentials: creds})
	}
	return out
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func dayStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
}

func nextDay(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, day.Location())
}

// atClock is day's date at clock's hour and minute, in day's zone.
func atClock(day, clock time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), 0, 0, day.Location())
}
