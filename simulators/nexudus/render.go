package nexudus

import (
	"strconv"
	"strings"
	"time"
)

// row is one rendered record: property name -> JSON value. Times are jtime
// values so that filters compare what the client reads.
type row = map[string]any

// renderer turns the store into JSON rows. It runs under s.mu.
type renderer struct {
	st   *store
	mode string
}

// defaultLoc is the tenant's zone: the first business's, or UTC.
func (r renderer) defaultLoc() *time.Location {
	best := 0
	var loc *time.Location = time.UTC
	for id, b := range r.st.businesses {
		if best == 0 || id < best {
			best, loc = id, b.loc
		}
	}
	return loc
}

func (r renderer) businessLoc(id int) *time.Location {
	if b, ok := r.st.businesses[id]; ok {
		return b.loc
	}
	return r.defaultLoc()
}

func nullInt(id int) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func joinInts(ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	return strings.Join(parts, ",")
}

// base fills the fields every Nexudus entity carries.
func (r renderer) base(m row, id int, uid string, st stamps, loc *time.Location) row {
	m["Id"] = id
	m["UniqueId"] = uid
	m["CreatedOn"] = stamp(st.created, r.mode, loc)
	m["UpdatedOn"] = stamp(st.updated, r.mode, loc)
	m["IsNew"] = false
	m["SystemId"] = nil
	return m
}

func (r renderer) business(b *business) row {
	m := r.base(row{}, b.id, b.uid, b.stamps, b.loc)
	m["Name"] = b.name
	m["WebAddress"] = strings.ToLower(strings.ReplaceAll(b.name, " ", ""))
	m["SimpleTimeZoneId"] = b.tz.ID
	m["SimpleTimeZoneName"] = b.tz.Name
	m["Active"] = true
	return m
}

func (r renderer) timeZone(z tzRecord) row {
	return row{"Id": z.ID, "Name": z.Name, "DisplayName": z.DisplayName,
		"BaseUtcOffsetMinutes": z.OffsetMinutes, "SupportsDaylightSavingTime": z.DST}
}

func (r renderer) coworker(c *coworker, full bool) row {
	m := r.base(row{}, c.id, c.uid, c.stamps, r.defaultLoc())
	m["FullName"] = c.fullName
	m["Email"] = c.email
	m["CoworkerType"] = 1
	m["Active"] = c.active
	m["Archived"] = c.archived
	m["AccessCardId"] = nullStr(c.card)
	m["KeyFobNumber"] = nullStr(c.fob)
	m["AccessPincode"] = nullStr(c.pin)
	m["CardNumber"] = nil
	m["InvoicingBusinessId"] = c.businessID
	m["AccessControlDebounceTime"] = nil
	if full {
		m["Teams"] = append([]string{}, c.teams...)
		m["Businesses"] = []int{c.businessID}
	}
	return m
}

func (r renderer) resource(x *resource, full bool) row {
	m := r.base(row{}, x.id, x.uid, x.stamps, r.businessLoc(x.businessID))
	m["BusinessId"] = x.businessID
	m["Name"] = x.name
	m["ResourceTypeId"] = x.typeID
	m["ResourceTypeName"] = x.typeName
	m["Visible"] = x.visible
	m["Archived"] = x.archived
	groupFields(m, x.groups)
	if full {
		m["LinkedResources"] = append([]int{}, x.linked...)
	}
	return m
}

// groupFields sets AccessControlGroupId (the first group, or null) and
// AccessControlGroupIds (comma-separated; the type is not documented).
func groupFields(m row, groups []string) {
	if len(groups) == 0 {
		m["AccessControlGroupId"] = nil
		m["AccessControlGroupIds"] = nil
		return
	}
	m["AccessControlGroupId"] = groups[0]
	m["AccessControlGroupIds"] = strings.Join(groups, ",")
}

func (r renderer) bookingFields(m row, b *booking) row {
	res := r.st.resources[b.resourceID]
	loc := r.defaultLoc()
	if res != nil {
		loc = r.businessLoc(res.businessID)
		m["ResourceName"] = res.name
		m["ResourceResourceTypeId"] = res.typeID
	} else {
		m["ResourceName"] = nil
		m["ResourceResourceTypeId"] = nil
	}
	m["BookingNumber"] = b.number
	m["ResourceId"] = b.resourceID
	m["FloorPlanDeskId"] = nullInt(b.deskID)
	m["FloorPlanDeskName"] = nil
	if d := r.st.desks[b.deskID]; d != nil {
		m["FloorPlanDeskName"] = d.name
	}
	m["CoworkerId"] = nullInt(b.coworkerID)
	m["CoworkerFullName"] = nil
	m["CoworkerTeamNames"] = nil
	if c := r.st.coworkers[b.coworkerID]; c != nil {
		m["CoworkerFullName"] = c.fullName
		m["CoworkerTeamNames"] = nullStr(strings.Join(c.teams, ", "))
	}
	m["FromTime"] = stamp(b.from, r.mode, loc)
	m["ToTime"] = stamp(b.to, r.mode, loc)
	m["FromTimeLocal"] = localStamp(b.from, loc)
	m["ToTimeLocal"] = localStamp(b.to, loc)
	m["Tentative"] = b.tentative
	m["Online"] = b.online
	m["Invoiced"] = b.invoiced
	m["RepeatSeriesUniqueId"] = nil
	m["StartScheduledJobId"] = nil
	m["EndScheduledJobId"] = nil
	return m
}

func (r renderer) bookingLoc(b *booking) *time.Location {
	if res := r.st.resources[b.resourceID]; res != nil {
		return r.businessLoc(res.businessID)
	}
	return r.defaultLoc()
}

func (r renderer) booking(b *booking) row {
	m := r.base(row{}, b.id, b.uid, b.stamps, r.defaultLoc())
	return r.bookingFields(m, b)
}

func (r renderer) cancelledBooking(c *cancelledBooking) row {
	m := r.bookingFields(row{}, &c.b)
	r.base(m, c.id, c.uid, c.stamps, r.defaultLoc())
	m["CancellationReason"] = c.reason
	m["CancellationReasonDetails"] = nullStr(c.details)
	m["CancelledOn"] = stamp(c.cancelledOn, r.mode, r.bookingLoc(&c.b))
	m["CancelledOnLocal"] = localStamp(c.cancelledOn, r.bookingLoc(&c.b))
	m["CancelledBy"] = nullStr(c.cancelledBy)
	m["Price"] = nil
	m["OriginalBookingId"] = strconv.Itoa(c.b.id)
	return m
}

func (r renderer) timePass(p *timePass, full bool) row {
	m := r.base(row{}, p.id, p.uid, p.stamps, r.defaultLoc())
	m["Name"] = p.name
	m["MinutesIncluded"] = nullInt(p.minutes)
	groupFields(m, p.groups)
	if full {
		m["Businesses"] = append([]int{}, p.businessIDs...)
		m["Tariffs"] = []int{}
	}
	return m
}

func (r renderer) timeSlot(t *timeSlot) row {
	m := r.base(row{}, t.id, "", t.stamps, r.defaultLoc())
	delete(m, "UniqueId")
	m["TimePassId"] = t.passID
	m["DayOfWeek"] = int(t.day)
	m["FromTime"] = slotTime(t.from)
	m["ToTime"] = slotTime(t.to)
	return m
}

func (r renderer) heldPass(p *heldPass) row {
	loc := r.businessLoc(p.businessID)
	m := r.base(row{}, p.id, p.uid, p.stamps, r.defaultLoc())
	m["CoworkerId"] = p.coworkerID
	m["CoworkerFullName"] = nil
	if c := r.st.coworkers[p.coworkerID]; c != nil {
		m["CoworkerFullName"] = c.fullName
	}
	m["BusinessId"] = p.businessID
	m["TimePassId"] = p.passID
	m["TimePassName"] = nil
	if tp := r.st.timePasses[p.passID]; tp != nil {
		m["TimePassName"] = tp.name
	}
	m["Used"] = p.used
	m["UsedDate"] = stamp(p.usedDate, r.mode, loc)
	m["CheckedIn"] = p.checkedIn
	m["RemainingUses"] = p.remaining
	m["TotalUses"] = p.totalUses
	m["ExpireDate"] = stamp(p.expire, r.mode, loc)
	m["ExpireDateLocal"] = localStamp(p.expire, loc)
	m["IsFromTariff"] = false
	m["IsPayAsYouGo"] = false
	m["CoworkerContractUniqueId"] = nil
	m["CoworkerProductUniqueId"] = nil
	m["TariffTimePassUniqueId"] = nil
	return m
}

func (r renderer) contract(c *contract, full bool) row {
	loc := r.businessLoc(c.businessID)
	m := r.base(row{}, c.id, c.uid, c.stamps, r.defaultLoc())
	m["CoworkerId"] = c.coworkerID
	m["CoworkerActive"] = false
	m["CoworkerFullName"] = nil
	if cw := r.st.coworkers[c.coworkerID]; cw != nil {
		m["CoworkerActive"] = cw.active
		m["CoworkerFullName"] = cw.fullName
	}
	m["TariffId"] = c.tariffID
	m["TariffName"] = c.tariffName
	m["StartDate"] = stamp(c.start, r.mode, loc)
	m["StartDateLocal"] = localStamp(c.start, loc)
	m["RenewalDate"] = stamp(c.renewal, r.mode, loc)
	m["RenewalDateLocal"] = localStamp(c.renewal, loc)
	m["InvoicedPeriod"] = stamp(c.renewal, r.mode, loc)
	m["ContractTerm"] = nil
	m["ContractTermLocal"] = nil
	m["Active"] = c.active
	m["Cancelled"] = c.cancelled
	m["CancellationDate"] = stamp(c.cancellation, r.mode, loc)
	m["CancellationDateLocal"] = localStamp(c.cancellation, loc)
	m["MainContract"] = c.main
	m["InPausedPeriod"] = false
	m["InPausedPeriodFrom"] = nil
	m["InPausedPeriodUntil"] = nil
	names := make([]string, 0, len(c.desks))
	for _, id := range c.desks {
		if d := r.st.desks[id]; d != nil {
			names = append(names, d.name)
		}
	}
	m["FloorPlanDeskIds"] = nullStr(joinInts(c.desks))
	m["FloorPlanDeskNames"] = nullStr(strings.Join(names, ","))
	if full {
		m["Desks"] = append([]int{}, c.desks...)
	}
	return m
}

func (r renderer) desk(d *desk) row {
	m := r.base(row{}, d.id, d.uid, d.stamps, r.defaultLoc())
	m["Name"] = d.name
	m["FloorPlanName"] = d.floor
	m["ItemType"] = d.itemType
	m["ResourceId"] = nullInt(d.resourceID)
	m["CoworkerId"] = nullInt(d.coworkerID)
	m["CoworkerContractIds"] = nullStr(joinInts(d.contractIDs))
	starts := make([]string, 0, len(d.contractIDs))
	for _, id := range d.contractIDs {
		if c := r.st.contracts[id]; c != nil {
			starts = append(starts, wallNaive(c.start, r.businessLoc(c.businessID)).Format(naiveLayout))
		}
	}
	m["CoworkerContractStartDates"] = nullStr(strings.Join(starts, ","))
	m["AccessControlGroupId"] = nullStr(d.group)
	m["Available"] = d.available
	m["AvailableFromTime"] = nil
	m["AvailableToTime"] = nil
	m["AvailableFromTimeLocal"] = nil
	m["AvailableToTimeLocal"] = nil
	m["FloorPlanBusinessId"] = d.businessID
	return m
}

func (r renderer) checkin(c *checkin) row {
	loc := r.businessLoc(c.businessID)
	m := r.base(row{}, c.id, c.uid, c.stamps, r.defaultLoc())
	m["CoworkerId"] = c.coworkerID
	m["BusinessId"] = c.businessID
	m["Source"] = c.source
	m["FromTime"] = stamp(c.from, r.mode, loc)
	m["ToTime"] = stamp(c.to, r.mode, loc)
	m["FromTimeLocal"] = localStamp(c.from, loc)
	m["ToTimeLocal"] = localStamp(c.to, loc)
	m["CoworkerTimePassGuid"] = nil
	return m
}
