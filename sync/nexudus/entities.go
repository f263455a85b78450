package nexudus

import "time"

// Record holds the base fields every Nexudus entity carries (nexudus.md §3.2).
type Record struct {
	ID        int64  `json:"Id"`
	UniqueID  string `json:"UniqueId"`
	CreatedOn Time   `json:"CreatedOn"`
	UpdatedOn Time   `json:"UpdatedOn"`
}

// Business is a location: /api/sys/businesses (§3.4, §4, §7).
type Business struct {
	Record
	Name string `json:"Name"`
	// SimpleTimeZoneID names a Nexudus SimpleTimeZone record (not an IANA
	// zone, §7); read it with Client.GetTimeZone to cross-check the offset.
	SimpleTimeZoneID StringID `json:"SimpleTimeZoneId"`
}

// TimeZone is a Nexudus SimpleTimeZone record: /api/sys/simpletimezones/{id}.
type TimeZone struct {
	Record
	Name           string `json:"Name"`
	Description    string `json:"Description"`
	TimeOffset     string `json:"TimeOffset"`
	UsesSummerTime bool   `json:"UsesSummerTime"`
}

// Coworker is a customer: /api/spaces/coworkers (§3.4). The credential
// fields are secrets: never log them.
type Coworker struct {
	Record
	FullName     string `json:"FullName"`
	Email        string `json:"Email"`
	CoworkerType int    `json:"CoworkerType"` // 1 individual, 2 company
	Active       bool   `json:"Active"`
	Archived     bool   `json:"Archived"`
	// AccessCardID may hold several cards (Q12); see Cards.
	AccessCardID  string `json:"AccessCardId"`
	KeyFobNumber  string `json:"KeyFobNumber"`
	AccessPincode string `json:"AccessPincode"`
	CardNumber    string `json:"CardNumber"`
}

// Cards splits AccessCardID into its tokens (Q12), uncanonicalised.
func (c *Coworker) Cards() []string { return SplitCards(c.AccessCardID) }

// Booking is a live booking: /api/spaces/bookings (§3.4). A cancelled booking
// disappears from this list and shows up as a CancelledBooking.
type Booking struct {
	Record
	BookingNumber          StringID `json:"BookingNumber"`
	ResourceID             int64    `json:"ResourceId"`
	ResourceName           string   `json:"ResourceName"`
	ResourceResourceTypeID int64    `json:"ResourceResourceTypeId"`
	FloorPlanDeskID        int64    `json:"FloorPlanDeskId"`
	FloorPlanDeskName      string   `json:"FloorPlanDeskName"`
	CoworkerID             int64    `json:"CoworkerId"` // 0: no customer
	CoworkerFullName       string   `json:"CoworkerFullName"`
	FromTime               Time     `json:"FromTime"`
	ToTime                 Time     `json:"ToTime"`
	FromTimeLocal          Time     `json:"FromTimeLocal"`
	ToTimeLocal            Time     `json:"ToTimeLocal"`
	Tentative              bool     `json:"Tentative"`
	Online                 bool     `json:"Online"`
	Invoiced               bool     `json:"Invoiced"`
	RepeatSeriesUniqueID   string   `json:"RepeatSeriesUniqueId"`
}

// Start is the booking's start instant (see PairInstant).
func (b *Booking) Start(mode TimeMode, loc *time.Location) time.Time {
	return PairInstant(b.FromTime, b.FromTimeLocal, mode, loc)
}

// End is the booking's end instant (see PairInstant).
func (b *Booking) End(mode TimeMode, loc *time.Location) time.Time {
	return PairInstant(b.ToTime, b.ToTimeLocal, mode, loc)
}

// Cancellation reasons of a CancelledBooking (§3.4).
const (
	CancelUnknown                   = 0
	CancelNoLongerNeeded            = 1
	CancelTooExpensive              = 2
	CancelBadPreviousExperience     = 3
	CancelRebookedForADifferentTime = 4
	CancelFailedToPayUpfront        = 5
	CancelIntegration               = 6
	CancelOther                     = 7
	CancelNotCheckedIn              = 8
	CancelMarketPlace               = 9
)

// CancelledBooking is the snapshot left by a cancellation:
// /api/spaces/cancelledbookings (§3.4, §3.5).
type CancelledBooking struct {
	Booking
	CancellationReason        int      `json:"CancellationReason"`
	CancellationReasonDetails string   `json:"CancellationReasonDetails"`
	CancelledOn               Time     `json:"CancelledOn"`
	CancelledBy               string   `json:"CancelledBy"`
	OriginalBookingID         StringID `json:"OriginalBookingId"`
}

// Resource is a bookable resource: /api/spaces/resources (§3.4).
type Resource struct {
	Record
	BusinessID            int64      `json:"BusinessId"`
	Name                  string     `json:"Name"`
	ResourceTypeID        int64      `json:"ResourceTypeId"`
	Visible               bool       `json:"Visible"`
	Archived              bool       `json:"Archived"`
	AccessControlGroupID  StringID   `json:"AccessControlGroupId"`
	AccessControlGroupIDs StringList `json:"AccessControlGroupIds"`
}

// Groups is the union of AccessControlGroupID and AccessControlGroupIDs.
func (r *Resource) Groups() []string {
	return unionGroups(r.AccessControlGroupID, r.AccessControlGroupIDs)
}

// TimePass is a pass definition: /api/billing/timepasses (§3.4).
type TimePass struct {
	Record
	Name string `json:"Name"`
	// MinutesIncluded is nil for a Day Pass (one calendar day).
	MinutesIncluded       *int64     `json:"MinutesIncluded"`
	AccessControlGroupID  StringID   `json:"AccessControlGroupId"`
	AccessControlGroupIDs StringList `json:"AccessControlGroupIds"`
}

// Groups is the union of AccessControlGroupID and AccessControlGroupIDs.
func (p *TimePass) Groups() []string {
	return unionGroups(p.AccessControlGroupID, p.AccessControlGroupIDs)
}

// IsDayPass reports whether the pass covers one calendar day.
func (p *TimePass) IsDayPass() bool { return p.MinutesIncluded == nil }

// TimePassTimeSlot is a weekday window of a pass:
// /api/billing/timepasstimeslots (§3.4). Only the clock of FromTime and
// ToTime matters (their date is a placeholder).
type TimePassTimeSlot struct {
	Record
	TimePassID int64 `json:"TimePassId"`
	DayOfWeek  int   `json:"DayOfWeek"` // .NET DayOfWeek: 0 Sunday … 6 Saturday
	FromTime   Time  `json:"FromTime"`
	ToTime     Time  `json:"ToTime"`
}

// CoworkerTimePass is a pass a customer holds: /api/billing/coworkertimepasses
// (§3.4).
type CoworkerTimePass struct {
	Record
	CoworkerID               int64  `json:"CoworkerId"`
	BusinessID               int64  `json:"BusinessId"`
	TimePassID               int64  `json:"TimePassId"`
	TimePassName             string `json:"TimePassName"`
	Used                     bool   `json:"Used"`
	UsedDate                 Time   `json:"UsedDate"`
	CheckedIn                bool   `json:"CheckedIn"`
	RemainingUses            *int64 `json:"RemainingUses"`
	TotalUses                *int64 `json:"TotalUses"`
	ExpireDate               Time   `json:"ExpireDate"`
	IsFromTariff             bool   `json:"IsFromTariff"`
	IsPayAsYouGo             bool   `json:"IsPayAsYouGo"`
	CoworkerContractUniqueID string `json:"CoworkerContractUniqueId"`
}

// CoworkerContract is a membership contract: /api/billing/coworkercontracts
// (§3.4, §4).
type CoworkerContract struct {
	Record
	CoworkerID            int64      `json:"CoworkerId"`
	CoworkerActive        bool       `json:"CoworkerActive"`
	TariffID              int64      `json:"TariffId"`
	TariffName            string     `json:"TariffName"`
	StartDate             Time       `json:"StartDate"`
	StartDateLocal        Time       `json:"StartDateLocal"`
	RenewalDate           Time       `json:"RenewalDate"`
	InvoicedPeriod        Time       `json:"InvoicedPeriod"`
	ContractTerm          Time       `json:"ContractTerm"`
	Active                bool       `json:"Active"`
	Cancelled             bool       `json:"Cancelled"`
	CancellationDate      Time       `json:"CancellationDate"`
	CancellationDateLocal Time       `json:"CancellationDateLocal"`
	MainContract          bool       `json:"MainContract"`
	FloorPlanDeskIDs      StringList `json:"FloorPlanDeskIds"`
	FloorPlanDeskNames    string     `json:"FloorPlanDeskNames"`
	InPausedPeriod        bool       `json:"InPausedPeriod"`
}

// Start is the contract's start instant (see PairInstant).
func (c *CoworkerContract) Start(mode TimeMode, loc *time.Location) time.Time {
	return PairInstant(c.StartDate, c.StartDateLocal, mode, loc)
}

// CancellationAt is when the contract stops (zero if no cancellation date).
func (c *CoworkerContract) CancellationAt(mode TimeMode, loc *time.Location) time.Time {
	return PairInstant(c.CancellationDate, c.CancellationDateLocal, mode, loc)
}

// Floor-plan item types (§3.4).
const (
	ItemOffice        = 1
	ItemDedicatedDesk = 2
	ItemHotDesk       = 3
	ItemOther         = 4
	ItemRoom          = 5
)

// FloorPlanDesk is an office or desk on a floor plan: /api/sys/floorplandesks
// (§3.4, Q7).
type FloorPlanDesk struct {
	Record
	Name                       string     `json:"Name"`
	ItemType                   int        `json:"ItemType"`
	ResourceID                 int64      `json:"ResourceId"`
	CoworkerID                 int64      `json:"CoworkerId"`
	CoworkerContractIDs        StringList `json:"CoworkerContractIds"`
	CoworkerContractStartDates string     `json:"CoworkerContractStartDates"`
	AccessControlGroupID       StringID   `json:"AccessControlGroupId"`
	Available                  bool       `json:"Available"`
	AvailableFromTime          Time       `json:"AvailableFromTime"`
	AvailableToTime            Time       `json:"AvailableToTime"`
	AvailableFromTimeLocal     Time       `json:"AvailableFromTimeLocal"`
	AvailableToTimeLocal       Time       `json:"AvailableToTimeLocal"`
	FloorPlanBusinessID        int64      `json:"FloorPlanBusinessId"`
}

// PairInstant converts a field with a *Local twin to an instant (Q8). In
// TimeModeUTC the field is read as UTC; in TimeModeWallclock the twin (or,
// without one, the field) is read in loc; while the mode is unknown, the twin
// is read in loc when present — the *Local value is wall clock in either
// mode — and the field as UTC otherwise.
func PairInstant(field, local Time, mode TimeMode, loc *time.Location) time.Time {
	switch {
	case mode == TimeModeUTC && !field.IsZero():
		return field.Instant(TimeModeUTC, loc)
	case !local.IsZero() && loc != nil:
		return local.Instant(TimeModeWallclock, loc)
	default:
		return field.Instant(mode, loc)
	}
}

func unionGroups(one StringID, many StringList) []string {
	var out []string
	seen := make(map[string]bool, len(many)+1)
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	add(string(one))
	for _, s := range many {
		add(s)
	}
	return out
}
