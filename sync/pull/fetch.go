package pull

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/lockhub/lockhub/sync/nexudus"
)

// snapshot is what one pass read from Nexudus.
type snapshot struct {
	coworkers []nexudus.Coworker
	bookings  []nexudus.Booking
	cancelled []nexudus.CancelledBooking
	passes    []nexudus.CoworkerTimePass
	contracts []nexudus.CoworkerContract
	desks     []nexudus.FloorPlanDesk
	resources []nexudus.Resource
	tps       []nexudus.TimePass
	slots     []nexudus.TimePassTimeSlot
	cursors   map[string]*nexudus.Cursor
}

func (sn *snapshot) observe(entity string, t nexudus.Time) {
	c := sn.cursors[entity]
	if c == nil {
		c = &nexudus.Cursor{}
		sn.cursors[entity] = c
	}
	c.Observe(t)
}

func observeAll[T any](sn *snapshot, entity string, rs []T, rec func(*T) *nexudus.Record) {
	for i := range rs {
		sn.observe(entity, rec(&rs[i]).UpdatedOn)
	}
}

// fetchFull reads the mapping tables, every coworker, contract and unused
// pass, the bookings in [now-Lookback, now+window] and the cancellations of
// bookings that end after now-Lookback.
func (s *Syncer) fetchFull(ctx context.Context, now time.Time, window time.Duration) (*snapshot, []nexudus.Business, error) {
	c := s.client
	sn := &snapshot{cursors: map[string]*nexudus.Cursor{}}
	var err error
	bizs, err := c.ListBusinesses(ctx, nexudus.Query{})
	if err != nil {
		return nil, nil, fmt.Errorf("list businesses: %w", err)
	}
	if err := s.fetchTables(ctx, sn, nil); err != nil {
		return nil, nil, err
	}
	byID := make(map[int64]nexudus.Business, len(bizs))
	for _, b := range bizs {
		byID[b.ID] = b
	}
	s.noteResourceZones(byID, slices.Values(sn.resources))
	if sn.coworkers, err = c.ListCoworkers(ctx, nexudus.Query{}); err != nil {
		return nil, nil, fmt.Errorf("list coworkers: %w", err)
	}
	if sn.contracts, err = c.ListCoworkerContracts(ctx, nexudus.Query{}); err != nil {
		return nil, nil, fmt.Errorf("list contracts: %w", err)
	}
	if sn.passes, err = c.ListCoworkerTimePasses(ctx, nexudus.Query{}.Equal(nexudus.EntityCoworkerTimePass, "Used", "false")); err != nil {
		return nil, nil, fmt.Errorf("list passes: %w", err)
	}
	// The bookings list is fetched after the coworkers' so the time mode is
	// known (the client detects it from booking pairs) before range filters
	// of later passes are formatted; within this pass the range is widened
	// by a day on each side to cover either reading, and filtered exactly
	// by the deriver.
	from, to := now.Add(-s.cfg.Lookback-24*time.Hour), now.Add(window+24*time.Hour)
	q := nexudus.Query{}.From(nexudus.EntityBooking, "ToTime", c.FilterTime(from)).
		To(nexudus.EntityBooking, "FromTime", c.FilterTime(to))
	if sn.bookings, err = c.ListBookings(ctx, q); err != nil {
		return nil, nil, fmt.Errorf("list bookings: %w", err)
	}
	cq := nexudus.Query{}.From(nexudus.EntityCancelledBooking, "ToTime", c.FilterTime(from))
	if sn.cancelled, err = c.ListCancelledBookings(ctx, cq); err != nil {
		return nil, nil, fmt.Errorf("list cancelled bookings: %w", err)
	}
	observeAll(sn, nexudus.EntityCoworker, sn.coworkers, func(r *nexudus.Coworker) *nexudus.Record { return &r.Record })
	observeAll(sn, nexudus.EntityCoworkerContract, sn.contracts, func(r *nexudus.CoworkerContract) *nexudus.Record { return &r.Record })
	return sn, bizs, nil
}

// fetchTables reads resources, pass definitions, time slots and desks,
// changed since the cursors when cur is not nil.
func (s *Syncer) fetchTables(ctx context.Context, sn *snapshot, cur func(entity string) string) error {
	c := s.client
	q := func(entity string) nexudus.Query {
		if cur == nil {
			return nexudus.Query{}
		}
		return nexudus.Query{}.UpdatedSince(entity, cur(entity))
	}
	var err error
	if sn.resources, err = c.ListResources(ctx, q(nexudus.EntityResource)); err != nil {
		return fmt.Errorf("list resources: %w", err)
	}
	if sn.tps, err = c.ListTimePasses(ctx, q(nexudus.EntityTimePass)); err != nil {
		return fmt.Errorf("list time passes: %w", err)
	}
	if sn.slots, err = c.ListTimePassTimeSlots(ctx, q(nexudus.EntityTimePassTimeSlot)); err != nil {
		return fmt.Errorf("list time pass slots: %w", err)
	}
	if sn.desks, err = c.ListFloorPlanDesks(ctx, q(nexudus.EntityFloorPlanDesk)); err != nil {
		return fmt.Errorf("list floor plan desks: %w", err)
	}
	observeAll(sn, nexudus.EntityResource, sn.resources, func(r *nexudus.Resource) *nexudus.Record { return &r.Record })
	observeAll(sn, nexudus.EntityTimePass, sn.tps, func(r *nexudus.TimePass) *nexudus.Record { return &r.Record })
	observeAll(sn, nexudus.EntityTimePassTimeSlot, sn.slots, func(r *nexudus.TimePassTimeSlot) *nexudus.Record { return &r.Record })
	observeAll(sn, nexudus.EntityFloorPlanDesk, sn.desks, func(r *nexudus.FloorPlanDesk) *nexudus.Record { return &r.Record })
	return nil
}

// fetchChanged reads every entity changed since its cursor.
func (s *Syncer) fetchChanged(ctx context.Context, cur func(entity string) string) (*snapshot, error) {
	c := s.client
	sn := &snapshot{cursors: map[string]*nexudus.Cursor{}}
	if err := s.fetchTables(ctx, sn, cur); err != nil {
		return nil, err
	}
	// The resources known from earlier passes, and those changed since.
	s.applyMu.Lock()
	s.noteResourceZones(s.tables.businesses, maps.Values(s.tables.resources), slices.Values(sn.resources))
	s.applyMu.Unlock()
	var err error
	if sn.coworkers, err = c.ListCoworkers(ctx, nexudus.Query{}.UpdatedSince(nexudus.EntityCoworker, cur(nexudus.EntityCoworker))); err != nil {
		return nil, fmt.Errorf("list coworkers: %w", err)
	}
	if sn.bookings, err = c.ListBookings(ctx, nexudus.Query{}.UpdatedSince(nexudus.EntityBooking, cur(nexudus.EntityBooking))); err != nil {
		return nil, fmt.Errorf("list bookings: %w", err)
	}
	if sn.cancelled, err = c.ListCancelledBookings(ctx, nexudus.Query{}.UpdatedSince(nexudus.EntityCancelledBooking, cur(nexudus.EntityCancelledBooking))); err != nil {
		return nil, fmt.Errorf("list cancelled bookings: %w", err)
	}
	if sn.passes, err = c.ListCoworkerTimePasses(ctx, nexudus.Query{}.UpdatedSince(nexudus.EntityCoworkerTimePass, cur(nexudus.EntityCoworkerTimePass))); err != nil {
		return nil, fmt.Errorf("list passes: %w", err)
	}
	if sn.contracts, err = c.ListCoworkerContracts(ctx, nexudus.Query{}.UpdatedSince(nexudus.EntityCoworkerContract, cur(nexudus.EntityCoworkerContract))); err != nil {
		return nil, fmt.Errorf("list contracts: %w", err)
	}
	observeAll(sn, nexudus.EntityCoworker, sn.coworkers, func(r *nexudus.Coworker) *nexudus.Record { return &r.Record })
	observeAll(sn, nexudus.EntityBooking, sn.bookings, func(r *nexudus.Booking) *nexudus.Record { return &r.Record })
	observeAll(sn, nexudus.EntityCancelledBooking, sn.cancelled, func(r *nexudus.CancelledBooking) *nexudus.Record { return &r.Record })
	observeAll(sn, nexudus.EntityCoworkerTimePass, sn.passes, func(r *nexudus.CoworkerTimePass) *nexudus.Record { return &r.Record })
	observeAll(sn, nexudus.EntityCoworkerContract, sn.contracts, func(r *nexudus.CoworkerContract) *nexudus.Record { return &r.Record })
	return sn, nil
}

// incrementalEntities are the entities with an UpdatedOn cursor.
func incrementalEntities() []string {
	return []string{nexudus.EntityResource, nexudus.EntityTimePass, nexudus.EntityTimePassTimeSlot,
		nexudus.EntityFloorPlanDesk, nexudus.EntityCoworker, nexudus.EntityBooking, nexudus.EntityCancelledBooking,
		nexudus.EntityCoworkerTimePass, nexudus.EntityCoworkerContract}
}
