package nexudus

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// ErrNotFound is returned by a mutator given an id the fake does not hold.
var ErrNotFound = errors.New("not found")

// change runs fn under the write lock at the clock's now and bumps the store
// version, so cached rows re-render.
func (s *Server) change(fn func(now time.Time) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := fn(s.now()); err != nil {
		return err
	}
	s.st.version++
	return nil
}

func get[T any](m map[int]*T, kind string, id int) (*T, error) {
	v, ok := m[id]
	if !ok {
		return nil, fmt.Errorf("%s %d: %w", kind, id, ErrNotFound)
	}
	return v, nil
}

func touch(st *stamps, now time.Time) { st.updated = now }

func newStamps(now time.Time) stamps { return stamps{created: now, updated: now} }

// AddBusiness adds a location with the Nexudus time-zone record of an IANA
// zone (Europe/Stockholm, Europe/London, UTC, ...).
func (s *Server) AddBusiness(name, ianaZone string) (int, error) {
	tz, loc, err := zoneFor(ianaZone)
	if err != nil {
		return 0, err
	}
	var id int
	err = s.change(func(now time.Time) error {
		id = s.st.newID("business")
		s.st.businesses[id] = &business{id: id, uid: s.guidLocked(), name: name, tz: tz, loc: loc, stamps: newStamps(now)}
		return nil
	})
	return id, err
}

// BusinessUniqueID returns a business's GUID.
func (s *Server) BusinessUniqueID(id int) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, err := get(s.st.businesses, "business", id)
	if err != nil {
		return "", err
	}
	return b.uid, nil
}

// firstBusinessLocked returns the lowest business id, or 0.
func (s *Server) firstBusinessLocked() int {
	best := 0
	for id := range s.st.businesses {
		if best == 0 || id < best {
			best = id
		}
	}
	return best
}

// AccessGroup is one group of the access-control system, as the operator
// maps it in Nexudus.
type AccessGroup struct {
	ID   string
	Name string
}

// AddAccessGroup records a group id the mappings may use.
func (s *Server) AddAccessGroup(id, name string) {
	_ = s.change(func(time.Time) error { s.st.groups[id] = name; return nil })
}

// AccessGroups returns the known groups sorted by id.
func (s *Server) AccessGroups() []AccessGroup {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]AccessGroup, 0, len(s.st.groups))
	for id, n := range s.st.groups {
		out = append(out, AccessGroup{ID: id, Name: n})
	}
	slices.SortFunc(out, func(a, b AccessGroup) int {
		if a.ID < b.ID {
			return -1
		} else if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// ResourceSpec describes a bookable resource.
type ResourceSpec struct {
	BusinessID int // 0: the first business
	Name       string
	TypeName   string // e.g. "Meeting room"
	Groups     []string
}

// AddResource adds a resource mapped to access groups.
func (s *Server) AddResource(spec ResourceSpec) (int, error) {
	var id int
	err := s.change(func(now time.Time) error {
		bid := spec.BusinessID
		if bid == 0 {
			bid = s.firstBusinessLocked()
		}
		if _, err := get(s.st.businesses, "business", bid); err != nil {
			return err
		}
		id = s.st.newID("resource")
		s.st.resources[id] = &resource{id: id, uid: s.guidLocked(), businessID: bid, name: spec.Name,
			typeID: 200 + len(spec.TypeName)%7, typeName: spec.TypeName, groups: slices.Clone(spec.Groups),
			visible: true, stamps: newStamps(now)}
		return nil
	})
	return id, err
}

// SetResourceGroups changes a resource's access-group mapping.
func (s *Server) SetResourceGroups(id int, groups ...string) error {
	return s.change(func(now time.Time) error {
		r, err := get(s.st.resources, "resource", id)
		if err != nil {
			return err
		}
		r.groups = slices.Clone(groups)
		touch(&r.stamps, now)
		return nil
	})
}

// CoworkerSpec describes a customer. AccessCardID may hold several cards
// separated by ",", ";" or spaces (nexudus.md §5 Q12).
type CoworkerSpec struct {
	FullName      string
	Email         string
	BusinessID    int // 0: the first business
	Inactive      bool
	Archived      bool
	AccessCardID  string
	KeyFobNumber  string
	AccessPincode string
	Teams         []string
}

// AddCoworker adds a customer (trigger 9 of nexudus.md §2).
func (s *Server) AddCoworker(spec CoworkerSpec) (int, error) {
	var id int
	err := s.change(func(now time.Time) error {
		bid := spec.BusinessID
		if bid == 0 {
			bid = s.firstBusinessLocked()
		}
		if _, err := get(s.st.businesses, "business", bid); err != nil {
			return err
		}
		id = s.st.newID("coworker")
		s.st.coworkers[id] = &coworker{id: id, uid: s.guidLocked(), fullName: spec.FullName, email: spec.Email,
			businessID: bid, active: !spec.Inactive, archived: spec.Archived, card: spec.AccessCardID,
			fob: spec.KeyFobNumber, pin: spec.AccessPincode, teams: slices.Clone(spec.Teams), stamps: newStamps(now)}
		s.hooks.triggerLocked(bid, id, now)
		return nil
	})
	return id, err
}

// CoworkerUniqueID returns a coworker's GUID.
func (s *Server) CoworkerUniqueID(id int) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, err := get(s.st.coworkers, "coworker", id)
	if err != nil {
		return "", err
	}
	return c.uid, nil
}

func (s *Server) editCoworker(id int, fn func(*coworker)) error {
	return s.change(func(now time.Time) error {
		c, err := get(s.st.coworkers, "coworker", id)
		if err != nil {
			return err
		}
		fn(c)
		touch(&c.stamps, now)
		s.hooks.triggerCoworkerLocked(id, now)
		return nil
	})
}

// SetCoworkerActive activates or suspends a customer.
func (s *Server) SetCoworkerActive(id int, active bool) error {
	return s.editCoworker(id, func(c *coworker) { c.active = active })
}

// SetCoworkerArchived archives or restores a customer.
func (s *Server) SetCoworkerArchived(id int, archived bool) error {
	return s.editCoworker(id, func(c *coworker) { c.archived = archived })
}

// SetCoworkerAccess changes a customer's access details (trigger 11).
func (s *Server) SetCoworkerAccess(id int, card, fob, pin string) error {
	return s.editCoworker(id, func(c *coworker) { c.card, c.fob, c.pin = card, fob, pin })
}

// BookingSpec describes a booking. From and To are instants.
type BookingSpec struct {
	ResourceID int
	CoworkerID int // 0: a booking with no customer
	DeskID     int
	From, To   time.Time
	Tentative  bool
}

// AddBooking adds a booking.
func (s *Server) AddBooking(spec BookingSpec) (int, error) {
	if !spec.To.After(spec.From) {
		return 0, errors.New("booking must end after it starts")
	}
	var id int
	err := s.change(func(now time.Time) error {
		if _, err := get(s.st.resources, "resource", spec.ResourceID); err != nil {
			return err
		}
		if spec.CoworkerID != 0 {
			if _, err := get(s.st.coworkers, "coworker", spec.CoworkerID); err != nil {
				return err
			}
		}
		id = s.st.newID("booking")
		s.st.bookings[id] = &booking{id: id, uid: s.guidLocked(), number: strconv.Itoa(id - 400000),
			resourceID: spec.ResourceID, coworkerID: spec.CoworkerID, deskID: spec.DeskID,
			from: spec.From, to: spec.To, tentative: spec.Tentative, invoiced: true, stamps: newStamps(now)}
		b := s.st.bookings[id]
		if s.hooks.inWindowLocked(b, now) {
			s.hooks.triggerBookingLocked(b, now) // its start-15 timer is already past
		}
		return nil
	})
	return id, err
}

// MoveBooking changes a booking's times.
func (s *Server) MoveBooking(id int, from, to time.Time) error {
	return s.change(func(now time.Time) error {
		b, err := get(s.st.bookings, "booking", id)
		if err != nil {
			return err
		}
		b.from, b.to = from, to
		touch(&b.stamps, now)
		s.hooks.triggerBookingLocked(b, now)
		return nil
	})
}

// Cancellation reasons (nexudus.md §3.4).
const (
	ReasonUnknown        = 0
	ReasonNoLongerNeeded = 1
	ReasonIntegration    = 6
	ReasonOther          = 7
	ReasonNotCheckedIn   = 8
)

// CancelBooking removes a booking from Bookings and adds a CancelledBooking
// snapshot (nexudus.md §3.4). It returns the snapshot's id.
func (s *Server) CancelBooking(id int, reason int) (int, error) {
	var cid int
	err := s.change(func(now time.Time) error {
		b, err := get(s.st.bookings, "booking", id)
		if err != nil {
			return err
		}
		delete(s.st.bookings, id)
		cid = s.st.newID("cancelled")
		s.st.cancelled[cid] = &cancelledBooking{id: cid, uid: s.guidLocked(), b: *b, reason: reason,
			cancelledOn: now, cancelledBy: "admin", stamps: newStamps(now)}
		s.hooks.triggerBookingLocked(b, now)
		return nil
	})
	return cid, err
}

// DeleteCoworker removes a coworker, as an admin deleting a customer does:
// no tombstone, the record simply disappears from the lists.
func (s *Server) DeleteCoworker(id int) error {
	return s.change(func(time.Time) error {
		if _, err := get(s.st.coworkers, "coworker", id); err != nil {
			return err
		}
		delete(s.st.coworkers, id)
		return nil
	})
}

// DeleteBooking hard-deletes a booking: it disappears with no tombstone and
// no CancelledBooking (nexudus.md §3.5); the webhook still fires (trigger 3).
func (s *Server) DeleteBooking(id int) error {
	return s.change(func(now time.Time) error {
		b, err := get(s.st.bookings, "booking", id)
		if err != nil {
			return err
		}
		delete(s.st.bookings, id)
		s.hooks.triggerBookingLocked(b, now)
		return nil
	})
}
