package nexudus

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Entity names (for filters: {Entity}_{Prop}) and list paths (nexudus.md
// §3.4). Note floorplandesks, businesses and simpletimezones live under sys.
const (
	EntityBusiness         = "Business"
	EntityCoworker         = "Coworker"
	EntityBooking          = "Booking"
	EntityCancelledBooking = "CancelledBooking"
	EntityResource         = "Resource"
	EntityTimePass         = "TimePass"
	EntityTimePassTimeSlot = "TimePassTimeSlot"
	EntityCoworkerTimePass = "CoworkerTimePass"
	EntityCoworkerContract = "CoworkerContract"
	EntityFloorPlanDesk    = "FloorPlanDesk"
	EntityTimeZone         = "SimpleTimeZone"
	EntityCheckin          = "Checkin"

	PathBusinesses         = "/api/sys/businesses"
	PathCoworkers          = "/api/spaces/coworkers"
	PathBookings           = "/api/spaces/bookings"
	PathCancelledBookings  = "/api/spaces/cancelledbookings"
	PathResources          = "/api/spaces/resources"
	PathTimePasses         = "/api/billing/timepasses"
	PathTimePassTimeSlots  = "/api/billing/timepasstimeslots"
	PathCoworkerTimePasses = "/api/billing/coworkertimepasses"
	PathCoworkerContracts  = "/api/billing/coworkercontracts"
	PathFloorPlanDesks     = "/api/sys/floorplandesks"
	PathTimeZones          = "/api/sys/simpletimezones"
	PathCheckins           = "/api/spaces/checkins"
)

// listAll pages through everything, keeps the last copy of each Id and
// returns the records sorted by Id (the order is never the server's, Q9).
func listAll[T any](ctx context.Context, c *Client, entity, path string, q Query, id func(*T) int64, seen func(*T)) ([]T, error) {
	var out []T
	at := make(map[int64]int)
	err := Each(ctx, c, entity, path, q, func(r *T) error {
		if seen != nil {
			seen(r)
		}
		k := id(r)
		if i, ok := at[k]; ok {
			out[i] = *r
			return nil
		}
		at[k] = len(out)
		out = append(out, *r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(id(&a), id(&b)) })
	return out, nil
}

// ListBusinesses lists locations.
func (c *Client) ListBusinesses(ctx context.Context, q Query) ([]Business, error) {
	return listAll(ctx, c, EntityBusiness, PathBusinesses, q, func(r *Business) int64 { return r.ID }, nil)
}

// GetTimeZone reads a business' SimpleTimeZone record.
func (c *Client) GetTimeZone(ctx context.Context, id StringID) (*TimeZone, error) {
	return Get[TimeZone](ctx, c, EntityTimeZone, PathTimeZones, string(id))
}

// ListCoworkers lists customers. Filter e.g. UpdatedSince(EntityCoworker, cursor).
func (c *Client) ListCoworkers(ctx context.Context, q Query) ([]Coworker, error) {
	return listAll(ctx, c, EntityCoworker, PathCoworkers, q, func(r *Coworker) int64 { return r.ID }, nil)
}

// ListBookings lists live bookings; every FromTime/FromTimeLocal pair feeds
// the time-mode detector (Q8). Filter e.g. From(EntityBooking, "ToTime", …).
func (c *Client) ListBookings(ctx context.Context, q Query) ([]Booking, error) {
	return listAll(ctx, c, EntityBooking, PathBookings, q, func(r *Booking) int64 { return r.ID },
		func(b *Booking) {
			c.observeMode(b.FromTime, b.FromTimeLocal, b.ResourceID)
			c.observeMode(b.ToTime, b.ToTimeLocal, b.ResourceID)
		})
}

// ListCancelledBookings lists cancellation snapshots, e.g. with
// UpdatedSince(EntityCancelledBooking, cursor) (§3.5).
func (c *Client) ListCancelledBookings(ctx context.Context, q Query) ([]CancelledBooking, error) {
	return listAll(ctx, c, EntityCancelledBooking, PathCancelledBookings, q, func(r *CancelledBooking) int64 { return r.ID },
		func(b *CancelledBooking) { c.observeMode(b.FromTime, b.FromTimeLocal, b.ResourceID) })
}

// ListResources lists resources with their access-control groups.
func (c *Client) ListResources(ctx context.Context, q Query) ([]Resource, error) {
	return listAll(ctx, c, EntityResource, PathResources, q, func(r *Resource) int64 { return r.ID }, nil)
}

// ListTimePasses lists pass definitions with their access-control groups.
func (c *Client) ListTimePasses(ctx context.Context, q Query) ([]TimePass, error) {
	return listAll(ctx, c, EntityTimePass, PathTimePasses, q, func(r *TimePass) int64 { return r.ID }, nil)
}

// ListTimePassTimeSlots lists pass weekday windows, e.g. with
// Equal(EntityTimePassTimeSlot, "TimePass", id).
func (c *Client) ListTimePassTimeSlots(ctx context.Context, q Query) ([]TimePassTimeSlot, error) {
	return listAll(ctx, c, EntityTimePassTimeSlot, PathTimePassTimeSlots, q, func(r *TimePassTimeSlot) int64 { return r.ID }, nil)
}

// ListCoworkerTimePasses lists passes held, e.g. with
// Equal(EntityCoworkerTimePass, "Used", "false").
func (c *Client) ListCoworkerTimePasses(ctx context.Context, q Query) ([]CoworkerTimePass, error) {
	return listAll(ctx, c, EntityCoworkerTimePass, PathCoworkerTimePasses, q, func(r *CoworkerTimePass) int64 { return r.ID }, nil)
}

// ListCoworkerContracts lists contracts.
func (c *Client) ListCoworkerContracts(ctx context.Context, q Query) ([]CoworkerContract, error) {
	return listAll(ctx, c, EntityCoworkerContract, PathCoworkerContracts, q, func(r *CoworkerContract) int64 { return r.ID }, nil)
}

// ListFloorPlanDesks lists offices and desks with their assignees (Q7).
func (c *Client) ListFloorPlanDesks(ctx context.Context, q Query) ([]FloorPlanDesk, error) {
	return listAll(ctx, c, EntityFloorPlanDesk, PathFloorPlanDesks, q, func(r *FloorPlanDesk) int64 { return r.ID }, nil)
}

// FilterTime formats an instant for a from_/to_ filter in the client's
// current time mode and location (see FormatFilterTime).
func (c *Client) FilterTime(t time.Time) string {
	return FormatFilterTime(t, c.TimeMode(), c.cfg.Location)
}

// CursorValue formats cur for from_{Entity}_UpdatedOn in the client's
// current time mode and location (see Cursor.Format).
func (c *Client) CursorValue(cur *Cursor, overlap time.Duration) string {
	return cur.Format(overlap, c.TimeMode(), c.cfg.Location)
}
