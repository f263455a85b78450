package nexudus

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// DemoGroups are the access groups SeedDemo creates, one per door or door
// set, as an operator would expose them from the access-control system.
func DemoGroups() []AccessGroup {
	return []AccessGroup{
		{ID: "grp-lobby", Name: "Main entrance + lifts"},
		{ID: "grp-garage", Name: "Garage"},
		{ID: "grp-floor-1", Name: "Floor 1 doors"},
		{ID: "grp-floor-2", Name: "Floor 2 doors"},
		{ID: "grp-floor-3", Name: "Floor 3 doors"},
		{ID: "grp-room-aurora", Name: "Meeting room Aurora"},
		{ID: "grp-room-boreal", Name: "Meeting room Boreal"},
		{ID: "grp-room-cirrus", Name: "Meeting room Cirrus"},
		{ID: "grp-room-delta", Name: "Boardroom Delta"},
		{ID: "grp-studio", Name: "Podcast studio"},
		{ID: "grp-office-101", Name: "Office 101"},
		{ID: "grp-office-102", Name: "Office 102"},
		{ID: "grp-office-201", Name: "Office 201"},
	}
}

func firstNames() []string {
	return []string{"Ana", "Björn", "Chloé", "Dev", "Elin", "Farah", "Gustav", "Hana", "Ivan", "Jonna",
		"Karim", "Linnea", "Mateo", "Nora", "Oskar", "Priya", "Quentin", "Rut", "Sami", "Tove", "Umar", "Vera",
		"William", "Xin", "Yusuf", "Zelda"}
}

func lastNames() []string {
	return []string{"Ruiz", "Lindqvist", "Martin", "Patel", "Berg", "Haddad", "Nyström", "Kobayashi",
		"Petrov", "Ek", "Benali", "Sjöberg", "García", "Olsen", "Holm", "Sharma", "Dubois", "Falk", "Virtanen",
		"Åberg", "Khan", "Novak", "Brown", "Li", "Yilmaz", "Strand"}
}

// seeding mutes the webhook sender while seeds run: the seed is the state
// Nexudus had before the hub connected, not a stream of changes.
func (s *Server) seeding(fn func() error) error {
	s.hooks.mu.Lock()
	url := s.hooks.cfg.URL
	s.hooks.cfg.URL = ""
	s.hooks.mu.Unlock()
	defer func() {
		s.hooks.mu.Lock()
		s.hooks.cfg.URL = url
		s.hooks.mu.Unlock()
	}()
	return fn()
}

func randCard(r *rand.Rand) string { return fmt.Sprintf("%08X", r.Uint32()) }

func randName(r *rand.Rand) string {
	f, l := firstNames(), lastNames()
	return f[r.IntN(len(f))] + " " + l[r.IntN(len(l))]
}

func emailFor(name string, i int) string {
	n := strings.ToLower(strings.NewReplacer(" ", ".", "ö", "o", "ä", "a", "å", "a", "é", "e", "í", "i", "Å", "a").Replace(name))
	return fmt.Sprintf("%s.%d@example.org", n, i)
}

// localDay returns midnight of now's day in loc.
func localDay(now time.Time, loc *time.Location) time.Time {
	l := now.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
}

type demoIDs struct {
	business  int
	rooms     []int
	dayPass   int
	timePass  int
	weekend   int
	desks     []int
	offices   []int
	coworkers []int
}

// SeedDemo fills a realistic small space around now: "Harbour Works" in
// Stockholm (four floors, the DemoGroups doors, rooms, desks, offices), a
// small London location, about 200 customers with cards (some with several
// values), fobs and PINs, one archived and one inactive customer, contracts
// with desks and offices, bookings today and in the next days (some
// tentative, some cancelled), and day and time passes. Deterministic for a
// given Config.Seed and now.
func (s *Server) SeedDemo(now time.Time) error {
	return s.seeding(func() error { return s.seedDemo(now) })
}

func (s *Server) seedDemo(now time.Time) error {
	r := rand.New(rand.NewPCG(s.cfg.Seed, 0xdeadbeef))
	var ids demoIDs
	var err error
	if ids.business, err = s.AddBusiness("Harbour Works", "Europe/Stockholm"); err != nil {
		return err
	}
	london, err := s.AddBusiness("Harbour Works London", "Europe/London")
	if err != nil {
		return err
	}
	for _, g := range DemoGroups() {
		s.AddAccessGroup(g.ID, g.Name)
	}
	s.AddAccessGroup("ldn-entrance", "London entrance")
	s.AddAccessGroup("ldn-room-thames", "London room Thames")
	rooms := []ResourceSpec{
		{Name: "Aurora", TypeName: "Meeting room", Groups: []string{"grp-lobby", "grp-floor-1", "grp-room-aurora"}},
		{Name: "Boreal", TypeName: "Meeting room", Groups: []string{"grp-lobby", "grp-floor-1", "grp-room-boreal"}},
		{Name: "Cirrus", TypeName: "Meeting room", Groups: []string{"grp-lobby", "grp-floor-2", "grp-room-cirrus"}},
		{Name: "Delta", TypeName: "Boardroom", Groups: []string{"grp-lobby", "grp-floor-3", "grp-room-delta"}},
		{Name: "Podcast studio", TypeName: "Studio", Groups: []string{"grp-lobby", "grp-floor-2", "grp-studio"}},
		{Name: "Hot desk area", TypeName: "Hot desk", Groups: []string{"grp-lobby", "grp-floor-3"}},
		{Name: "Parking bay", TypeName: "Parking", Groups: []string{"grp-garage"}},
		{Name: "Phone booth", TypeName: "Phone booth"}, // not mapped to any group
	}
	for _, spec := range rooms {
		spec.BusinessID = ids.business
		id, err := s.AddResource(spec)
		if err != nil {
			return err
		}
		ids.rooms = append(ids.rooms, id)
	}
	thames, err := s.AddResource(ResourceSpec{BusinessID: london, Name: "Thames", TypeName: "Meeting room",
		Groups: []string{"ldn-entrance", "ldn-room-thames"}})
	if err != nil {
		return err
	}
	if ids.dayPass, err = s.AddTimePass(TimePassSpec{Name: "Day Pass", Groups: []string{"grp-lobby", "grp-floor-3"}, BusinessIDs: []int{ids.business}}); err != nil {
		return err
	}
	if ids.timePass, err = s.AddTimePass(TimePassSpec{Name: "10 hours", MinutesIncluded: 600, Groups: []string{"grp-lobby", "grp-floor-3"}, BusinessIDs: []int{ids.business}}); err != nil {
		return err
	}
	if ids.weekend, err = s.AddTimePass(TimePassSpec{Name: "Weekend Pass", Groups: []string{"grp-lobby", "grp-floor-3"}, BusinessIDs: []int{ids.business}}); err != nil {
		return err
	}
	for _, d := range []time.Weekday{time.Saturday, time.Sunday} {
		if _, err := s.AddTimeSlot(ids.weekend, d, 9*60, 17*60); err != nil {
			return err
		}
	}
	for i := 1; i <= 12; i++ {
		id, err := s.AddDesk(DeskSpec{BusinessID: ids.business, Name: fmt.Sprintf("D-2%02d", i), Floor: "Floor 2", ItemType: 2, Group: "grp-floor-2"})
		if err != nil {
			return err
		}
		ids.desks = append(ids.desks, id)
	}
	for _, o := range []string{"101", "102", "201"} {
		id, err := s.AddDesk(DeskSpec{BusinessID: ids.business, Name: "Office " + o, Floor: "Floor " + o[:1], ItemType: 1, Group: "grp-office-" + o})
		if err != nil {
			return err
		}
		ids.offices = append(ids.offices, id)
	}
	if err := s.seedDemoPeople(r, now, &ids); err != nil {
		return err
	}
	return s.seedDemoActivity(r, now, &ids, london, thames)
}

func (s *Server) seedDemoPeople(r *rand.Rand, now time.Time, ids *demoIDs) error {
	for i := range 200 {
		name := randName(r)
		spec := CoworkerSpec{BusinessID: ids.business, FullName: name, Email: emailFor(name, i)}
		switch {
		case i%10 == 3: // several cards in one field, with each separator
			spec.AccessCardID = randCard(r) + [...]string{",", ";", " "}[i%3] + randCard(r)
		case i%10 != 9:
			spec.AccessCardID = randCard(r)
		}
		if i%7 == 0 {
			spec.KeyFobNumber = fmt.Sprintf("%010d", r.Uint32())
		}
		if i%5 != 4 {
			spec.AccessPincode = fmt.Sprintf("%0*d", 4+i%3, r.IntN(1000000)%[...]int{10000, 100000, 1000000}[i%3])
		}
		spec.Archived = i == 7
		spec.Inactive = i == 8
		if i%25 == 0 {
			spec.Teams = []string{"Team Nordlys"}
		}
		id, err := s.AddCoworker(spec)
		if err != nil {
			return err
		}
		ids.coworkers = append(ids.coworkers, id)
	}
	day := localDay(now, s.locOf(ids.business))
	// Contracts: the first 15 customers with desks, 3 offices shared by 5
	// customers each, 3 cancellations coming up, 2 contracts starting tomorrow.
	for i := range 30 {
		cid := ids.coworkers[10+i]
		start := day.AddDate(0, -1-r.IntN(12), 0)
		if i >= 28 {
			start = day.AddDate(0, 0, 1)
		}
		kid, err := s.AddContract(ContractSpec{CoworkerID: cid, TariffName: "Resident", Start: start, Main: true})
		if err != nil {
			return err
		}
		var d int
		if i < 15 && i < len(ids.desks) {
			d = ids.desks[i%len(ids.desks)]
		} else {
			d = ids.offices[i%len(ids.offices)]
		}
		if err := s.AssignDesk(d, kid); err != nil {
			return err
		}
		if i%10 == 5 {
			if err := s.CancelContract(kid, day.AddDate(0, 0, 2+i/10)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) seedDemoActivity(r *rand.Rand, now time.Time, ids *demoIDs, london, thames int) error {
	loc := s.locOf(ids.business)
	day := localDay(now, loc)
	bookable := ids.rooms[:7]
	for i := range 120 {
		cid := ids.coworkers[r.IntN(len(ids.coworkers))]
		d := day.AddDate(0, 0, i%7)
		from := d.Add(time.Duration(8*60+30*r.IntN(20)) * time.Minute)
		to := from.Add(time.Duration(30*(1+r.IntN(6))) * time.Minute)
		bid, err := s.AddBooking(BookingSpec{ResourceID: bookable[r.IntN(len(bookable))], CoworkerID: cid,
			From: from, To: to, Tentative: i%17 == 0})
		if err != nil {
			return err
		}
		switch i % 23 {
		case 4:
			if _, err := s.CancelBooking(bid, ReasonNoLongerNeeded); err != nil {
				return err
			}
		case 11:
			if err := s.DeleteBooking(bid); err != nil {
				return err
			}
		}
	}
	ldnDay := localDay(now, s.locOf(london))
	for i := range 6 {
		cid := ids.coworkers[150+i]
		from := ldnDay.AddDate(0, 0, i).Add(10 * time.Hour)
		if _, err := s.AddBooking(BookingSpec{ResourceID: thames, CoworkerID: cid, From: from, To: from.Add(time.Hour)}); err != nil {
			return err
		}
	}
	for i := range 40 {
		cid := ids.coworkers[60+i]
		tp, exp := ids.dayPass, day.AddDate(0, 0, 1+i%2)
		if i%4 == 3 {
			tp, exp = ids.timePass, day.AddDate(0, 0, 30)
		} else if i%9 == 8 {
			tp = ids.weekend
		}
		pid, err := s.AddPass(cid, tp, exp)
		if err != nil {
			return err
		}
		if i%6 == 5 {
			if err := s.UsePass(pid); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) locOf(businessID int) *time.Location {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return renderer{st: s.st}.businessLoc(businessID)
}

// SeedScale fills a large tenant for benchmarks: n customers, 2n bookings
// over the next 14 days, n/2 passes and n/5 contracts, in one Stockholm
// business with the DemoGroups. SeedScale(now, 10000) gives 10,000
// customers, 20,000 bookings, 5,000 passes and 2,000 contracts.
func (s *Server) SeedScale(now time.Time, n int) error {
	return s.seeding(func() error { return s.seedScale(now, n) })
}

func (s *Server) seedScale(now time.Time, n int) error {
	r := rand.New(rand.NewPCG(s.cfg.Seed, 0x5ca1e))
	bid, err := s.AddBusiness("Scale Tower", "Europe/Stockholm")
	if err != nil {
		return err
	}
	groups := DemoGroups()
	for _, g := range groups {
		s.AddAccessGroup(g.ID, g.Name)
	}
	var rooms []int
	for i := range 40 {
		id, err := s.AddResource(ResourceSpec{BusinessID: bid, Name: fmt.Sprintf("Room %02d", i), TypeName: "Meeting room",
			Groups: []string{"grp-lobby", groups[2+i%3].ID, groups[5+i%8].ID}})
		if err != nil {
			return err
		}
		rooms = append(rooms, id)
	}
	tp, err := s.AddTimePass(TimePassSpec{Name: "Day Pass", Groups: []string{"grp-lobby", "grp-floor-3"}, BusinessIDs: []int{bid}})
	if err != nil {
		return err
	}
	var desks []int
	for i := range 200 {
		id, err := s.AddDesk(DeskSpec{BusinessID: bid, Name: fmt.Sprintf("D-%03d", i), Floor: "Floor 2", Group: "grp-floor-2"})
		if err != nil {
			return err
		}
		desks = append(desks, id)
	}
	cws := make([]int, n)
	for i := range n {
		name := randName(r)
		if cws[i], err = s.AddCoworker(CoworkerSpec{BusinessID: bid, FullName: name, Email: emailFor(name, i),
			AccessCardID: randCard(r), AccessPincode: fmt.Sprintf("%06d", r.IntN(1000000))}); err != nil {
			return err
		}
	}
	day := localDay(now, s.locOf(bid))
	for range 2 * n {
		from := day.AddDate(0, 0, r.IntN(14)).Add(time.Duration(7*60+15*r.IntN(48)) * time.Minute)
		if _, err := s.AddBooking(BookingSpec{ResourceID: rooms[r.IntN(len(rooms))], CoworkerID: cws[r.IntN(n)],
			From: from, To: from.Add(time.Duration(30*(1+r.IntN(4))) * time.Minute)}); err != nil {
			return err
		}
	}
	for range n / 2 {
		if _, err := s.AddPass(cws[r.IntN(n)], tp, day.AddDate(0, 0, 1+r.IntN(30))); err != nil {
			return err
		}
	}
	for i := range n / 5 {
		kid, err := s.AddContract(ContractSpec{CoworkerID: cws[i], TariffName: "Resident", Start: day.AddDate(0, -1, 0)})
		if err != nil {
			return err
		}
		if err := s.AssignDesk(desks[i%len(desks)], kid); err != nil {
			return err
		}
	}
	return nil
}
