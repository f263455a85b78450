package nexudus

import (
	"fmt"
	"time"
)

// The in-memory records. They are private: tests and the demo change them
// through the mutators (mutate.go) and read them back over HTTP, as the hub
// does. Every time is an instant (UTC inside); rendering applies the time mode.

// tzRecord is a Nexudus SimpleTimeZone record (nexudus.md §7): a name, an
// offset and a summer-time flag, not an IANA id. IANA is kept only inside the
// fake to compute wall-clock times.
type tzRecord struct {
	ID            int
	Name          string // Windows-style name, as Nexudus shows it
	DisplayName   string
	IANA          string
	OffsetMinutes int // standard (winter) offset from UTC
	DST           bool
}

// knownZones lists the time-zone records the fake can attach to a business.
// The ids are ours; the names follow the Windows zone names Nexudus shows.
func knownZones() []tzRecord {
	return []tzRecord{
		{ID: 1, Name: "UTC", DisplayName: "(UTC) Coordinated Universal Time", IANA: "UTC"},
		{ID: 24, Name: "GMT Standard Time", DisplayName: "(UTC+00:00) Dublin, Edinburgh, Lisbon, London", IANA: "Europe/London", DST: true},
		{ID: 31, Name: "W. Europe Standard Time", DisplayName: "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", IANA: "Europe/Stockholm", OffsetMinutes: 60, DST: true},
		{ID: 32, Name: "Romance Standard Time", DisplayName: "(UTC+01:00) Brussels, Copenhagen, Madrid, Paris", IANA: "Europe/Paris", OffsetMinutes: 60, DST: true},
		{ID: 35, Name: "Central Europe Standard Time", DisplayName: "(UTC+01:00) Belgrade, Bratislava, Budapest, Ljubljana, Prague", IANA: "Europe/Berlin", OffsetMinutes: 60, DST: true},
		{ID: 11, Name: "Eastern Standard Time", DisplayName: "(UTC-05:00) Eastern Time (US & Canada)", IANA: "America/New_York", OffsetMinutes: -300, DST: true},
		{ID: 4, Name: "Pacific Standard Time", DisplayName: "(UTC-08:00) Pacific Time (US & Canada)", IANA: "America/Los_Angeles", OffsetMinutes: -480, DST: true},
		{ID: 60, Name: "AUS Eastern Standard Time", DisplayName: "(UTC+10:00) Canberra, Melbourne, Sydney", IANA: "Australia/Sydney", OffsetMinutes: 600, DST: true},
	}
}

// zoneFor returns the record for an IANA name, or an error when the fake
// has no record for it.
func zoneFor(iana string) (tzRecord, *time.Location, error) {
	for _, z := range knownZones() {
		if z.IANA == iana {
			loc, err := time.LoadLocation(iana)
			if err != nil {
				return tzRecord{}, nil, fmt.Errorf("load zone %q: %w", iana, err)
			}
			return z, loc, nil
		}
	}
	return tzRecord{}, nil, fmt.Errorf("no nexudus time-zone record for %q", iana)
}

type stamps struct{ created, updated time.Time }

type business struct {
	id   int
	uid  string
	name string
	tz   tzRecord
	loc  *time.Location
	stamps
}

type coworker struct {
	id         int
	uid        string
	fullName   string
	email      string
	businessID int // InvoicingBusinessId: the home location
	active     bool
	archived   bool
	card       string // AccessCardId: may hold several values
	fob        string
	pin        string
	teams      []string
	stamps
}

type resource struct {
	id         int
	uid        string
	businessID int
	name       string
	typeID     int
	typeName   string
	groups     []string
	visible    bool
	archived   bool
	linked     []int
	stamps
}

type booking struct {
	id         int
	uid        string
	number     string
	resourceID int
	coworkerID int // 0: no coworker
	deskID     int
	from, to   time.Time
	tentative  bool
	online     bool
	invoiced   bool
	stamps
}

type cancelledBooking struct {
	id          int
	uid         string
	b           booking
	reason      int
	details     string
	cancelledOn time.Time
	cancelledBy string
	stamps
}

type timePass struct {
	id          int
	uid         string
	name        string
	minutes     int // 0: a day pass (MinutesIncluded null)
	groups      []string
	businessIDs []int
	stamps
}

type timeSlot struct {
	id       int
	passID   int
	day      time.Weekday
	from, to int // minutes after midnight
	stamps
}

type heldPass struct {
	id         int
	uid        string
	coworkerID int
	businessID int
	passID     int
	used       bool
	usedDate   time.Time
	checkedIn  bool
	expire     time.Time // zero: no expiry
	totalUses  int
	remaining  int
	stamps
}

type contract struct {
	id           int
	uid          string
	coworkerID   int
	businessID   int
	tariffID     int
	tariffName   string
	start        time.Time
	renewal      time.Time
	cancellation time.Time // zero: not cancelled
	active       bool
	cancelled    bool
	main         bool
	desks        []int
	stamps
}

type desk struct {
	id          int
	uid         string
	businessID  int
	name        string
	floor       string
	itemType    int
	resourceID  int
	coworkerID  int
	contractIDs []int
	group       string
	available   bool
	stamps
}

type checkin struct {
	id         int
	uid        string
	coworkerID int
	businessID int
	source     int
	from, to   time.Time // to zero: still open
	stamps
}

// store holds every record. The Server's mutex guards it.
type store struct {
	businesses map[int]*business
	coworkers  map[int]*coworker
	resources  map[int]*resource
	bookings   map[int]*booking
	cancelled  map[int]*cancelledBooking
	timePasses map[int]*timePass
	timeSlots  map[int]*timeSlot
	passes     map[int]*heldPass
	contracts  map[int]*contract
	desks      map[int]*desk
	checkins   map[int]*checkin
	groups     map[string]string // access-group id -> name (the ACS's groups)
	next       map[string]int
	version    uint64 // bumped on every change; keys the row cache
}

func newStore() *store {
	return &store{
		businesses: map[int]*business{},
		coworkers:  map[int]*coworker{},
		resources:  map[int]*resource{},
		bookings:   map[int]*booking{},
		cancelled:  map[int]*cancelledBooking{},
		timePasses: map[int]*timePass{},
		timeSlots:  map[int]*timeSlot{},
		passes:     map[int]*heldPass{},
		contracts:  map[int]*contract{},
		desks:      map[int]*desk{},
		checkins:   map[int]*checkin{},
		groups:     map[string]string{},
		next:       map[string]int{},
	}
}

// idBase keeps the id ranges of the entities apart, so that a client mixing
// up a booking id and a coworker id finds nothing instead of a wrong record.
func idBase(kind string) int {
	switch kind {
	case "business":
		return 1000
	case "coworker":
		return 100000
	case "resource":
		return 3000
	case "booking":
		return 500000
	case "cancelled":
		return 700000
	case "timepass":
		return 4000
	case "timeslot":
		return 4500
	case "pass":
		return 800000
	case "contract":
		return 60000
	case "desk":
		return 9000
	case "checkin":
		return 900000
	}
	return 1
}

func (st *store) newID(kind string) int {
	n, ok := st.next[kind]
	if !ok {
		n = idBase(kind)
	}
	n++
	st.next[kind] = n
	return n
}
