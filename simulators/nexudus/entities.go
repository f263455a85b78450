package nexudus

import "slices"

// entity describes one REST collection: its filter prefix (the entity name),
// its path, and how its rows render. List rows leave out collection fields;
// full records (get-by-id) carry them (nexudus.md §3.2 "Partial records").
type entity struct {
	name string
	path string
	rows func(r renderer) []row
	full func(r renderer, id int) (row, bool)
}

func collect[T any](m map[int]*T, render func(*T) row) []row {
	ids := make([]int, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]row, len(ids))
	for i, id := range ids {
		out[i] = render(m[id])
	}
	return out
}

func one[T any](m map[int]*T, id int, render func(*T) row) (row, bool) {
	v, ok := m[id]
	if !ok {
		return nil, false
	}
	return render(v), true
}

// entities lists the collections the fake serves (nexudus.md §3.4).
func (s *Server) entities() []entity {
	return []entity{
		{
			name: "Business", path: "/api/sys/businesses",
			rows: func(r renderer) []row { return collect(r.st.businesses, r.business) },
			full: func(r renderer, id int) (row, bool) { return one(r.st.businesses, id, r.business) },
		},
		{
			name: "SimpleTimeZone", path: "/api/sys/simpletimezones",
			rows: func(r renderer) []row {
				zs := knownZones()
				slices.SortFunc(zs, func(a, b tzRecord) int { return a.ID - b.ID })
				out := make([]row, len(zs))
				for i, z := range zs {
					out[i] = r.timeZone(z)
				}
				return out
			},
			full: func(r renderer, id int) (row, bool) {
				for _, z := range knownZones() {
					if z.ID == id {
						return r.timeZone(z), true
					}
				}
				return nil, false
			},
		},
		{
			name: "Coworker", path: "/api/spaces/coworkers",
			rows: func(r renderer) []row {
				return collect(r.st.coworkers, func(c *coworker) row { return r.coworker(c, false) })
			},
			full: func(r renderer, id int) (row, bool) {
				return one(r.st.coworkers, id, func(c *coworker) row { return r.coworker(c, true) })
			},
		},
		{
			name: "Resource", path: "/api/spaces/resources",
			rows: func(r renderer) []row {
				return collect(r.st.resources, func(x *resource) row { return r.resource(x, false) })
			},
			full: func(r renderer, id int) (row, bool) {
				return one(r.st.resources, id, func(x *resource) row { return r.resource(x, true) })
			},
		},
		{
			name: "Booking", path: "/api/spaces/bookings",
			rows: func(r renderer) []row { return collect(r.st.bookings, r.booking) },
			full: func(r renderer, id int) (row, bool) { return one(r.st.bookings, id, r.booking) },
		},
		{
			name: "CancelledBooking", path: "/api/spaces/cancelledbookings",
			rows: func(r renderer) []row { return collect(r.st.cancelled, r.cancelledBooking) },
			full: func(r renderer, id int) (row, bool) { return one(r.st.cancelled, id, r.cancelledBooking) },
		},
		{
			name: "Checkin", path: "/api/spaces/checkins",
			rows: func(r renderer) []row { return collect(r.st.checkins, r.checkin) },
			full: func(r renderer, id int) (row, bool) { return one(r.st.checkins, id, r.checkin) },
		},
		{
			name: "TimePass", path: "/api/billing/timepasses",
			rows: func(r renderer) []row {
				return collect(r.st.timePasses, func(p *timePass) row { return r.timePass(p, false) })
			},
			full: func(r renderer, id int) (row, bool) {
				return one(r.st.timePasses, id, func(p *timePass) row { return r.timePass(p, true) })
			},
		},
		{
			name: "TimePassTimeSlot", path: "/api/billing/timepasstimeslots",
			rows: func(r renderer) []row { return collect(r.st.timeSlots, r.timeSlot) },
			full: func(r renderer, id int) (row, bool) { return one(r.st.timeSlots, id, r.timeSlot) },
		},
		{
			name: "CoworkerTimePass", path: "/api/billing/coworkertimepasses",
			rows: func(r renderer) []row { return collect(r.st.passes, r.heldPass) },
			full: func(r renderer, id int) (row, bool) { return one(r.st.passes, id, r.heldPass) },
		},
		{
			name: "CoworkerContract", path: "/api/billing/coworkercontracts",
			rows: func(r renderer) []row {
				return collect(r.st.contracts, func(c *contract) row { return r.contract(c, false) })
			},
			full: func(r renderer, id int) (row, bool) {
				return one(r.st.contracts, id, func(c *contract) row { return r.contract(c, true) })
			},
		},
		{
			name: "FloorPlanDesk", path: "/api/sys/floorplandesks",
			rows: func(r renderer) []row { return collect(r.st.desks, r.desk) },
			full: func(r renderer, id int) (row, bool) { return one(r.st.desks, id, r.desk) },
		},
	}
}

type cachedRows struct {
	version uint64
	rows    []row
}

// rowsFor returns the list rows of e, rendered once per store version and
// time mode. The returned rows are never mutated afterwards.
func (s *Server) rowsFor(e entity) []row {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cache[e.name]; ok && c.version == s.st.version {
		return c.rows
	}
	rows := e.rows(renderer{st: s.st, mode: s.mode})
	s.cache[e.name] = cachedRows{version: s.st.version, rows: rows}
	return rows
}

// fullFor renders one full record.
func (s *Server) fullFor(e entity, id int) (row, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return e.full(renderer{st: s.st, mode: s.mode}, id)
}
