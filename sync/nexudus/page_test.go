package nexudus_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/lockhub/lockhub/sync/nexudus"
)

func TestPagingFollowsHasNextPageAndSortsByID(t *testing.T) {
	f := newFakeNexudus(t)
	f.set(nexudus.PathCoworkers, coworkerRecs(1234)) // served in descending Id order
	c := f.client(t, newFakeClock(), nexudus.Config{PageSize: 100})
	got, err := c.ListCoworkers(t.Context(), nexudus.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1234 {
		t.Fatalf("got %d coworkers, want 1234", len(got))
	}
	for i, cw := range got {
		if cw.ID != int64(1000+i) {
			t.Fatalf("coworker %d has Id %d, want %d (sorted client-side)", i, cw.ID, 1000+i)
		}
	}
	calls := f.calls()
	if len(calls) != 13 {
		t.Fatalf("pages fetched = %d, want 13", len(calls))
	}
	for i, call := range calls {
		if call.query.Get("page") != strconv.Itoa(i+1) || call.query.Get("size") != "100" {
			t.Errorf("request %d query %v, want page=%d size=100", i, call.query, i+1)
		}
		if call.query.Has("dir") {
			t.Errorf("request %d sent dir=%s; the direction is never relied on (Q9)", i, call.query.Get("dir"))
		}
	}
	cw := got[1]
	if cw.UniqueID != "cw-0001" || cw.FullName != "Member 1" || !cw.Active || cw.AccessPincode != "00001" ||
		cw.UpdatedOn.String() != "2025-03-01T00:01:00Z" {
		t.Fatalf("decoded coworker %+v does not match the record", cw)
	}
	if cards := cw.Cards(); len(cards) != 2 || cards[0] != "04A1B20001" || cards[1] != "04A1C30001" {
		t.Fatalf("Cards() = %q, want the two tokens", cards)
	}
}

func TestPagingDeduplicatesRecordsThatMove(t *testing.T) {
	f := newFakeNexudus(t)
	pages := map[string]string{
		"1": `{"Records":[{"Id":3,"FullName":"old"},{"Id":2}],"CurrentPage":1,"HasNextPage":true}`,
		"2": `{"Records":[{"Id":3,"FullName":"new"},{"Id":1}],"CurrentPage":2,"HasNextPage":false}`,
	}
	f.raw[nexudus.PathCoworkers] = func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, pages[r.URL.Query().Get("page")])
	}
	got, err := f.client(t, newFakeClock(), nexudus.Config{}).ListCoworkers(t.Context(), nexudus.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != 1 || got[2].ID != 3 || got[2].FullName != "new" {
		t.Fatalf("got %+v, want Ids 1,2,3 with the later copy of 3", got)
	}
}

func TestPagingGuards(t *testing.T) {
	for _, tc := range []struct {
		name, body string
	}{
		{"page not echoed", `{"Records":[{"Id":1}],"CurrentPage":1,"HasNextPage":true}`},
		{"empty page claims more", `{"Records":[],"HasNextPage":true}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeNexudus(t)
			body := tc.body
			f.raw[nexudus.PathCoworkers] = func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) }
			_, err := f.client(t, newFakeClock(), nexudus.Config{}).ListCoworkers(t.Context(), nexudus.Query{})
			if !errors.Is(err, nexudus.ErrPaging) {
				t.Fatalf("error = %v, want ErrPaging", err)
			}
			if n := len(f.calls()); n > 2 {
				t.Fatalf("fetched %d pages, want the loop stopped", n)
			}
		})
	}
}

func TestQueryParameterNames(t *testing.T) {
	q := nexudus.Query{}.
		Equal(nexudus.EntityCoworkerTimePass, "Coworker", "123").
		Equal(nexudus.EntityCoworkerTimePass, "Used", "false").
		Equal(nexudus.EntityCancelledBooking, "Resource_Name", "Room 3").
		From(nexudus.EntityBooking, "FromTime", "2025-03-04T00:00").
		To(nexudus.EntityBooking, "ToTime", "2025-03-11T00:00").
		UpdatedSince(nexudus.EntityResource, "2025-01-01T00:00").
		UpdatedSince(nexudus.EntityCoworker, ""). // full sync: no filter
		OrderBy("Id")
	want := url.Values{
		"CoworkerTimePass_Coworker":      {"123"},
		"CoworkerTimePass_Used":          {"false"},
		"CancelledBooking_Resource_Name": {"Room 3"},
		"from_Booking_FromTime":          {"2025-03-04T00:00"},
		"to_Booking_ToTime":              {"2025-03-11T00:00"},
		"from_Resource_UpdatedOn":        {"2025-01-01T00:00"},
		"orderBy":                        {"Id"},
	}
	if got := q.Values(); got.Encode() != want.Encode() {
		t.Fatalf("query = %s\nwant    %s", got.Encode(), want.Encode())
	}
	base := nexudus.Query{}.Equal("A", "B", "1")
	_ = base.Equal("A", "C", "2")
	if base.Values().Has("A_C") {
		t.Fatal("Query methods modified the receiver's parameters")
	}
}

func TestFiltersReachTheServer(t *testing.T) {
	f := newFakeNexudus(t)
	var recs []map[string]any
	for i := range 50 {
		recs = append(recs, map[string]any{
			"Id": i + 1, "CoworkerId": 100 + i%5, "TimePassId": 7, "Used": i%2 == 0,
			"ExpireDate": fmt.Sprintf("2025-03-%02dT00:00:00Z", 1+i%28),
			"UpdatedOn":  fmt.Sprintf("2025-03-04T%02d:%02d:30Z", 8+i/60, i%60),
		})
	}
	f.set(nexudus.PathCoworkerTimePasses, recs)
	c := f.client(t, newFakeClock(), nexudus.Config{PageSize: 7})
	got, err := c.ListCoworkerTimePasses(t.Context(), nexudus.Query{}.
		Equal(nexudus.EntityCoworkerTimePass, "Coworker", "102").
		Equal(nexudus.EntityCoworkerTimePass, "Used", "false").
		From(nexudus.EntityCoworkerTimePass, "UpdatedOn", "2025-03-04T08:10").
		To(nexudus.EntityCoworkerTimePass, "UpdatedOn", "2025-03-04T08:37"))
	if err != nil {
		t.Fatal(err)
	}
	// Coworker 102: i = 2, 7, 12, ...; unused: odd i → 7, 17, 27, 37, 47;
	// minutes 10..37 inclusive → 17, 27, 37.
	var ids []int64
	for _, p := range got {
		ids = append(ids, p.ID)
		if p.CoworkerID != 102 || p.Used || p.TimePassID != 7 {
			t.Errorf("pass %+v does not match the filter", p)
		}
	}
	if fmt.Sprint(ids) != "[18 28 38]" {
		t.Fatalf("ids = %v, want [18 28 38]", ids)
	}
	for _, call := range f.calls() {
		if call.query.Get("CoworkerTimePass_Coworker") != "102" || call.query.Get("from_CoworkerTimePass_UpdatedOn") != "2025-03-04T08:10" {
			t.Fatalf("request query %v lost a filter", call.query)
		}
	}
}

func TestEntityDecoding(t *testing.T) {
	f := newFakeNexudus(t)
	f.set(nexudus.PathResources, []map[string]any{
		{"Id": 310, "BusinessId": 2201, "Name": "Room 3", "AccessControlGroupId": "grp-room-3", "AccessControlGroupIds": "grp-lobby, grp-room-3"},
		{"Id": 311, "Name": "Room 4", "AccessControlGroupId": 17, "AccessControlGroupIds": []any{17, "18"}},
		{"Id": 312, "Name": "Room 5", "AccessControlGroupId": nil, "AccessControlGroupIds": nil},
	})
	f.set(nexudus.PathTimePasses, []map[string]any{
		{"Id": 1, "Name": "Day Pass", "MinutesIncluded": nil, "AccessControlGroupIds": []any{"grp-lobby"}},
		{"Id": 2, "Name": "10 hours", "MinutesIncluded": 600, "AccessControlGroupId": "grp-lobby"},
	})
	f.set(nexudus.PathFloorPlanDesks, []map[string]any{
		{"Id": 40, "Name": "Office 2", "ItemType": 1, "CoworkerId": 88412, "CoworkerContractIds": "501,502", "AccessControlGroupId": "grp-office-2", "FloorPlanBusinessId": 2201},
	})
	f.set(nexudus.PathCoworkerContracts, []map[string]any{
		{"Id": 501, "CoworkerId": 88412, "Active": true, "Cancelled": false, "StartDate": "2025-01-01T00:00:00Z",
			"StartDateLocal": "2025-01-01T00:00:00", "CancellationDate": "2025-06-30T00:00:00Z", "CancellationDateLocal": "2025-06-30T00:00:00", "FloorPlanDeskIds": "40"},
	})
	f.set(nexudus.PathTimePassTimeSlots, []map[string]any{
		{"Id": 9, "TimePassId": 1, "DayOfWeek": 1, "FromTime": "1976-01-01T08:00:00", "ToTime": "1976-01-01T18:00:00"},
	})
	f.set(nexudus.PathCancelledBookings, []map[string]any{
		{"Id": 77, "ResourceId": 310, "CoworkerId": 88412, "FromTime": "2025-03-04T10:00:00Z", "ToTime": "2025-03-04T11:00:00Z",
			"CancellationReason": 8, "CancelledOn": "2025-03-04T10:15:00Z", "OriginalBookingId": "5512", "Price": 12.5},
	})
	f.set(nexudus.PathBusinesses, []map[string]any{{"Id": 2201, "UniqueId": "0b6f", "Name": "Harbour Works", "SimpleTimeZoneId": 12}})
	c := f.client(t, newFakeClock(), nexudus.Config{})
	ctx := t.Context()

	res, err := c.ListResources(ctx, nexudus.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"[grp-room-3 grp-lobby]", "[17 18]", "[]"} {
		if got := fmt.Sprint(res[i].Groups()); got != want {
			t.Errorf("resource %d Groups() = %s, want %s", res[i].ID, got, want)
		}
	}
	tp, err := c.ListTimePasses(ctx, nexudus.Query{})
	if err != nil || !tp[0].IsDayPass() || tp[1].IsDayPass() || *tp[1].MinutesIncluded != 600 || fmt.Sprint(tp[0].Groups()) != "[grp-lobby]" {
		t.Fatalf("time passes = %+v, %v", tp, err)
	}
	desks, err := c.ListFloorPlanDesks(ctx, nexudus.Query{})
	if err != nil || desks[0].CoworkerID != 88412 || fmt.Sprint(desks[0].CoworkerContractIDs) != "[501 502]" || desks[0].AccessControlGroupID != "grp-office-2" {
		t.Fatalf("desks = %+v, %v", desks, err)
	}
	ks, err := c.ListCoworkerContracts(ctx, nexudus.Query{})
	if err != nil || !ks[0].Active || ks[0].CancellationAt(nexudus.TimeModeUTC, nil).Format("2006-01-02") != "2025-06-30" || fmt.Sprint(ks[0].FloorPlanDeskIDs) != "[40]" {
		t.Fatalf("contracts = %+v, %v", ks, err)
	}
	slots, err := c.ListTimePassTimeSlots(ctx, nexudus.Query{})
	if err != nil || slots[0].FromTime.Wall().Hour() != 8 || slots[0].ToTime.Wall().Hour() != 18 || slots[0].DayOfWeek != 1 {
		t.Fatalf("slots = %+v, %v", slots, err)
	}
	cb, err := c.ListCancelledBookings(ctx, nexudus.Query{})
	if err != nil || cb[0].CancellationReason != nexudus.CancelNotCheckedIn || cb[0].OriginalBookingID != "5512" || cb[0].ResourceID != 310 {
		t.Fatalf("cancelled bookings = %+v, %v", cb, err)
	}
	biz, err := c.ListBusinesses(ctx, nexudus.Query{})
	if err != nil || biz[0].SimpleTimeZoneID != "12" || biz[0].UniqueID != "0b6f" {
		t.Fatalf("businesses = %+v, %v", biz, err)
	}
}
