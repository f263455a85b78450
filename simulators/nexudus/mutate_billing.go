package nexudus

import (
	"errors"
	"slices"
	"time"
)

// TimePassSpec describes a pass product. MinutesIncluded 0 makes a Day Pass.
type TimePassSpec struct {
	Name            string
	MinutesIncluded int
	Groups          []string
	BusinessIDs     []int // empty: the first business
}

// AddTimePass adds a pass definition mapped to access groups.
func (s *Server) AddTimePass(spec TimePassSpec) (int, error) {
	var id int
	err := s.change(func(now time.Time) error {
		bids := slices.Clone(spec.BusinessIDs)
		if len(bids) == 0 {
			bids = []int{s.firstBusinessLocked()}
		}
		id = s.st.newID("timepass")
		s.st.timePasses[id] = &timePass{id: id, uid: s.guidLocked(), name: spec.Name, minutes: spec.MinutesIncluded,
			groups: slices.Clone(spec.Groups), businessIDs: bids, stamps: newStamps(now)}
		return nil
	})
	return id, err
}

// SetTimePassGroups changes a pass definition's access-group mapping.
func (s *Server) SetTimePassGroups(id int, groups ...string) error {
	return s.change(func(now time.Time) error {
		p, err := get(s.st.timePasses, "time pass", id)
		if err != nil {
			return err
		}
		p.groups = slices.Clone(groups)
		touch(&p.stamps, now)
		return nil
	})
}

// AddTimeSlot adds a weekday window (minutes after midnight) to a pass.
func (s *Server) AddTimeSlot(passID int, day time.Weekday, fromMin, toMin int) (int, error) {
	if fromMin < 0 || toMin > 24*60 || fromMin >= toMin {
		return 0, errors.New("time slot must satisfy 0 <= from < to <= 1440")
	}
	var id int
	err := s.change(func(now time.Time) error {
		if _, err := get(s.st.timePasses, "time pass", passID); err != nil {
			return err
		}
		id = s.st.newID("timeslot")
		s.st.timeSlots[id] = &timeSlot{id: id, passID: passID, day: day, from: fromMin, to: toMin, stamps: newStamps(now)}
		return nil
	})
	return id, err
}

// AddPass gives a customer a pass (CoworkerTimePass) that expires at expire
// (zero: no expiry). Trigger 7.
func (s *Server) AddPass(coworkerID, timePassID int, expire time.Time) (int, error) {
	var id int
	err := s.change(func(now time.Time) error {
		c, err := get(s.st.coworkers, "coworker", coworkerID)
		if err != nil {
			return err
		}
		if _, err := get(s.st.timePasses, "time pass", timePassID); err != nil {
			return err
		}
		id = s.st.newID("pass")
		s.st.passes[id] = &heldPass{id: id, uid: s.guidLocked(), coworkerID: coworkerID, businessID: c.businessID,
			passID: timePassID, expire: expire, totalUses: 1, remaining: 1, stamps: newStamps(now)}
		s.hooks.triggerLocked(c.businessID, coworkerID, now)
		return nil
	})
	return id, err
}

func (s *Server) editPass(id int, fn func(p *heldPass, now time.Time)) error {
	return s.change(func(now time.Time) error {
		p, err := get(s.st.passes, "pass", id)
		if err != nil {
			return err
		}
		fn(p, now)
		touch(&p.stamps, now)
		s.hooks.triggerLocked(p.businessID, p.coworkerID, now)
		return nil
	})
}

// UsePass marks a held pass used (Used=true, UsedDate=now).
func (s *Server) UsePass(id int) error {
	return s.editPass(id, func(p *heldPass, now time.Time) {
		p.used, p.usedDate, p.remaining, p.checkedIn = true, now, 0, true
	})
}

// ExpirePass sets a held pass's ExpireDate to now.
func (s *Server) ExpirePass(id int) error {
	return s.editPass(id, func(p *heldPass, now time.Time) { p.expire = now })
}

// DeletePass removes a held pass with no tombstone (nexudus.md §3.5).
func (s *Server) DeletePass(id int) error {
	return s.change(func(now time.Time) error {
		p, err := get(s.st.passes, "pass", id)
		if err != nil {
			return err
		}
		delete(s.st.passes, id)
		s.hooks.triggerLocked(p.businessID, p.coworkerID, now)
		return nil
	})
}

// ContractSpec describes a membership contract.
type ContractSpec struct {
	CoworkerID int
	TariffName string
	Start      time.Time // zero: now
	Main       bool
}

// AddContract adds a contract. It is Active once Start has passed (Tick
// flips it when the clock crosses Start). Trigger 6.
func (s *Server) AddContract(spec ContractSpec) (int, error) {
	var id int
	err := s.change(func(now time.Time) error {
		c, err := get(s.st.coworkers, "coworker", spec.CoworkerID)
		if err != nil {
			return err
		}
		start := spec.Start
		if start.IsZero() {
			start = now
		}
		id = s.st.newID("contract")
		s.st.contracts[id] = &contract{id: id, uid: s.guidLocked(), coworkerID: c.id, businessID: c.businessID,
			tariffID: 7000 + len(spec.TariffName), tariffName: spec.TariffName, start: start,
			renewal: start.AddDate(0, 1, 0), active: !start.After(now), main: spec.Main, stamps: newStamps(now)}
		s.hooks.triggerLocked(c.businessID, c.id, now)
		return nil
	})
	return id, err
}

// CancelContract sets the contract's CancellationDate. The contract runs
// until then; at that time it turns Cancelled and inactive (at once when at
// is not in the future). Trigger 5.
func (s *Server) CancelContract(id int, at time.Time) error {
	return s.change(func(now time.Time) error {
		c, err := get(s.st.contracts, "contract", id)
		if err != nil {
			return err
		}
		c.cancellation = at
		if !at.After(now) {
			c.cancelled, c.active = true, false
		}
		touch(&c.stamps, now)
		s.hooks.triggerLocked(c.businessID, c.coworkerID, now)
		return nil
	})
}

// DeleteContract removes a contract and frees its desks.
func (s *Server) DeleteContract(id int) error {
	return s.change(func(now time.Time) error {
		c, err := get(s.st.contracts, "contract", id)
		if err != nil {
			return err
		}
		delete(s.st.contracts, id)
		for _, did := range c.desks {
			if d := s.st.desks[did]; d != nil {
				d.contractIDs = slices.DeleteFunc(d.contractIDs, func(x int) bool { return x == id })
				if len(d.contractIDs) == 0 {
					d.coworkerID, d.available = 0, true
				}
				touch(&d.stamps, now)
			}
		}
		s.hooks.triggerLocked(c.businessID, c.coworkerID, now)
		return nil
	})
}

// DeskSpec describes a floor-plan item (desk or office).
type DeskSpec struct {
	BusinessID int // 0: the first business
	Name       string
	Floor      string
	ItemType   int // 1 Office, 2 DedicatedDesk, 3 HotDesk, 4 Other, 5 Room; 0 means 2
	ResourceID int
	Group      string
}

// AddDesk adds a floor-plan desk or office mapped to an access group.
func (s *Server) AddDesk(spec DeskSpec) (int, error) {
	var id int
	err := s.change(func(now time.Time) error {
		bid := spec.BusinessID
		if bid == 0 {
			bid = s.firstBusinessLocked()
		}
		if _, err := get(s.st.businesses, "business", bid); err != nil {
			return err
		}
		it := spec.ItemType
		if it == 0 {
			it = 2
		}
		id = s.st.newID("desk")
		s.st.desks[id] = &desk{id: id, uid: s.guidLocked(), businessID: bid, name: spec.Name, floor: spec.Floor,
			itemType: it, resourceID: spec.ResourceID, group: spec.Group, available: true, stamps: newStamps(now)}
		return nil
	})
	return id, err
}

// AssignDesk puts a desk on a contract: the desk's CoworkerId and
// CoworkerContractIds and the contract's Desks change.
func (s *Server) AssignDesk(deskID, contractID int) error {
	return s.change(func(now time.Time) error {
		d, err := get(s.st.desks, "desk", deskID)
		if err != nil {
			return err
		}
		c, err := get(s.st.contracts, "contract", contractID)
		if err != nil {
			return err
		}
		if !slices.Contains(d.contractIDs, contractID) {
			d.contractIDs = append(d.contractIDs, contractID)
		}
		d.coworkerID, d.available = c.coworkerID, false
		if !slices.Contains(c.desks, deskID) {
			c.desks = append(c.desks, deskID)
		}
		touch(&d.stamps, now)
		touch(&c.stamps, now)
		s.hooks.triggerLocked(c.businessID, c.coworkerID, now)
		return nil
	})
}

// SetDeskGroup changes a desk's access-group mapping.
func (s *Server) SetDeskGroup(deskID int, group string) error {
	return s.change(func(now time.Time) error {
		d, err := get(s.st.desks, "desk", deskID)
		if err != nil {
			return err
		}
		d.group = group
		touch(&d.stamps, now)
		return nil
	})
}
