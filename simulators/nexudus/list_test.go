package nexudus_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/lockhub/lockhub/simulators/nexudus"
)

// fixture adds a resource, n coworkers and one booking per coworker at
// t0+i hours, and returns their ids.
func fixture(t *testing.T, sm *sim, n int) (res int, cws, bks []int) {
	t.Helper()
	res = sm.id(sm.AddResource(nexudus.ResourceSpec{Name: "Room 3", TypeName: "Meeting room", Groups: []string{"grp-room-3"}}))
	for i := range n {
		c := sm.id(sm.AddCoworker(nexudus.CoworkerSpec{FullName: fmt.Sprintf("Member %02d", i), Email: fmt.Sprintf("m%d@example.org", i)}))
		cws = append(cws, c)
		from := t0.Add(time.Duration(i) * time.Hour)
		bks = append(bks, sm.id(sm.AddBooking(nexudus.BookingSpec{ResourceID: res, CoworkerID: c, From: from, To: from.Add(time.Hour), Tentative: i%5 == 0})))
	}
	return res, cws, bks
}

func TestPagingEnvelope(t *testing.T) {
	sm := newSim(t, nexudus.Config{})
	_, cws, _ := fixture(t, sm, 60)
	env := sm.list(t, "/api/spaces/coworkers")
	want := envelope{CurrentPage: 1, CurrentPageSize: 25, CurrentOrderField: "Id", CurrentSortDirection: 1,
		FirstItem: 1, LastItem: 25, TotalItems: 60, TotalPages: 3, HasNextPage: true}
	got := env
	got.Records = nil
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("page 1 envelope = %+v, want %+v", got, want)
	}
	last := sm.list(t, "/api/spaces/coworkers?page=3")
	if last.HasNextPage || !last.HasPreviousPage || last.FirstItem != 51 || last.LastItem != 60 || len(last.Records) != 10 {
		t.Errorf("page 3 = %+v", last)
	}
	beyond := sm.list(t, "/api/spaces/coworkers?page=9")
	if len(beyond.Records) != 0 || beyond.HasNextPage {
		t.Errorf("page past the end = %+v", beyond)
	}
	all := ids(sm.listAll(t, "/api/spaces/coworkers?size=7"))
	if !slices.Equal(all, cws) {
		t.Errorf("paging with size 7 = %v, want %v", all, cws)
	}
	// List rows leave out collections; get-by-id carries them.
	if _, ok := env.Records[0]["Teams"]; ok {
		t.Error("list row carries Teams")
	}
	code, _, body := sm.get(t, fmt.Sprintf("/api/spaces/coworkers/%d", cws[0]))
	var full map[string]any
	if err := json.Unmarshal(body, &full); code != 200 || err != nil {
		t.Fatalf("get by id: %d %v", code, err)
	}
	if _, ok := full["Teams"]; !ok {
		t.Error("get-by-id lacks Teams")
	}
	if code, _, _ := sm.get(t, "/api/spaces/coworkers/1"); code != http.StatusNotFound {
		t.Errorf("unknown id: status %d, want 404", code)
	}
}

func TestPageSizeLimit(t *testing.T) {
	sm := newSim(t, nexudus.Config{MaxPageSize: 10})
	fixture(t, sm, 30)
	env := sm.list(t, "/api/spaces/coworkers?size=100000")
	if env.CurrentPageSize != 10 || len(env.Records) != 10 || !env.HasNextPage {
		t.Errorf("clamped page = size %d, %d records, next %v", env.CurrentPageSize, len(env.Records), env.HasNextPage)
	}
	if n := len(sm.listAll(t, "/api/spaces/coworkers?size=100000")); n != 30 {
		t.Errorf("listAll = %d records, want 30", n)
	}
}

func TestFiltersAndRanges(t *testing.T) {
	sm := newSim(t, nexudus.Config{})
	res, cws, bks := fixture(t, sm, 10)
	cancelled := sm.id(sm.CancelBooking(bks[3], nexudus.ReasonNoLongerNeeded))
	tests := []struct {
		name string
		path string
		want []int
	}{
		{"coworker nav", fmt.Sprintf("/api/spaces/bookings?Booking_Coworker=%d", cws[2]), []int{bks[2]}},
		{"coworker id", fmt.Sprintf("/api/spaces/bookings?Booking_CoworkerId=%d", cws[2]), []int{bks[2]}},
		{"tentative", "/api/spaces/bookings?Booking_Tentative=true", []int{bks[0], bks[5]}},
		{"from range inclusive", "/api/spaces/bookings?from_Booking_FromTime=2025-03-04T15:00", []int{bks[7], bks[8], bks[9]}},
		{"to range inclusive", "/api/spaces/bookings?to_Booking_FromTime=2025-03-04T10:00", []int{bks[0], bks[1], bks[2]}},
		{"from and to", "/api/spaces/bookings?from_Booking_ToTime=2025-03-04T12:00&to_Booking_ToTime=2025-03-04T13:00", []int{bks[4]}},
		{"legacy capitals", "/api/spaces/bookings?From_Booking_FromTime=2025-03-04T16:00", []int{bks[8], bks[9]}},
		{"resource", fmt.Sprintf("/api/spaces/bookings?Booking_Resource=%d&Booking_Tentative=false", res), []int{bks[1], bks[2], bks[4], bks[6], bks[7], bks[8], bks[9]}},
		{"nested name", "/api/spaces/cancelledbookings?CancelledBooking_Resource_Name=room%203", []int{cancelled}},
		{"cancelled on", "/api/spaces/cancelledbookings?from_CancelledBooking_CancelledOn=2025-03-04T08:00", []int{cancelled}},
		{"email", "/api/spaces/coworkers?Coworker_Email=M4@example.org", []int{cws[4]}},
		{"batch", fmt.Sprintf("/api/spaces/bookings/?id=[%d,%d,1]", bks[9], bks[1]), []int{bks[9], bks[1]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := sm.get(t, tc.path)
			if code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			var recs []map[string]any
			var env envelope
			if err := json.Unmarshal(body, &env); err == nil && body[0] == '{' {
				recs = env.Records
			} else if err := json.Unmarshal(body, &recs); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got := ids(recs); !slices.Equal(got, tc.want) {
				t.Errorf("ids = %v, want %v", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"?from_Booking_FromTime=yesterday", "?dir=sideways", "?page=x", "?id=[1,x]",
		"?from_Booking_FromTime=2025-03-04T10:00%2B01:00"} {
		if code, _, _ := sm.get(t, "/api/spaces/bookings"+bad); code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, code)
		}
	}
}

func TestSortDirections(t *testing.T) {
	sm := newSim(t, nexudus.Config{})
	_, cws, _ := fixture(t, sm, 5)
	desc := slices.Clone(cws)
	slices.Reverse(desc)
	for _, tc := range []struct {
		dir     string
		want    []int
		wantDir int
	}{
		{"1", cws, 1}, {"0", cws, 1}, {"ascending", cws, 1},
		{"-1", desc, -1}, {"descending", desc, -1},
	} {
		env := sm.list(t, "/api/spaces/coworkers?orderBy=FullName&dir="+tc.dir)
		if got := ids(env.Records); !slices.Equal(got, tc.want) || env.CurrentSortDirection != tc.wantDir || env.CurrentOrderField != "FullName" {
			t.Errorf("dir=%s: ids %v dir %d field %s, want %v %d FullName", tc.dir, got, env.CurrentSortDirection, env.CurrentOrderField, tc.want, tc.wantDir)
		}
	}
}

func TestUpdatedOnCursorAndDeletions(t *testing.T) {
	sm := newSim(t, nexudus.Config{})
	_, cws, bks := fixture(t, sm, 4)
	sm.clock.Add(2 * time.Hour)
	must(t, sm.SetCoworkerActive(cws[1], false))
	cursor := "2025-03-04T09:50" // one minute-precision cursor after the fixture
	got := ids(sm.listAll(t, "/api/spaces/coworkers?from_Coworker_UpdatedOn="+cursor+"&orderBy=UpdatedOn&dir=-1"))
	if !slices.Equal(got, []int{cws[1]}) {
		t.Errorf("changed since cursor = %v, want [%d]", got, cws[1])
	}
	// A deleted booking disappears without a trace; a cancelled one leaves a snapshot.
	must(t, sm.DeleteBooking(bks[0]))
	sm.id(sm.CancelBooking(bks[1], nexudus.ReasonOther))
	left := ids(sm.listAll(t, "/api/spaces/bookings"))
	if !slices.Equal(left, bks[2:]) {
		t.Errorf("bookings = %v, want %v", left, bks[2:])
	}
	snap := sm.listAll(t, "/api/spaces/cancelledbookings?from_CancelledBooking_UpdatedOn="+cursor)
	if len(snap) != 1 || snap[0]["OriginalBookingId"] != fmt.Sprint(bks[1]) || snap[0]["CancellationReason"].(float64) != nexudus.ReasonOther {
		t.Errorf("cancelled bookings = %v", snap)
	}
	if code, _, _ := sm.get(t, fmt.Sprintf("/api/spaces/bookings/%d", bks[0])); code != 404 {
		t.Errorf("deleted booking by id: %d, want 404", code)
	}
	if sm.Requests("/api/spaces/bookings") < 1 || sm.Requests("/api/spaces/cancelledbookings/") < 1 {
		t.Errorf("request counters = %d, %d", sm.Requests("/api/spaces/bookings"), sm.Requests("/api/spaces/cancelledbookings"))
	}
}

func TestEntitiesServed(t *testing.T) {
	sm := newSim(t, nexudus.Config{})
	must(t, sm.SeedDemo(t0))
	for _, tc := range []struct {
		path  string
		field string
	}{
		{"/api/sys/businesses", "SimpleTimeZoneId"},
		{"/api/sys/simpletimezones", "SupportsDaylightSavingTime"},
		{"/api/spaces/coworkers", "AccessCardId"},
		{"/api/spaces/resources", "AccessControlGroupIds"},
		{"/api/spaces/bookings", "FromTimeLocal"},
		{"/api/spaces/cancelledbookings", "CancellationReason"},
		{"/api/billing/timepasses", "AccessControlGroupId"},
		{"/api/billing/timepasstimeslots", "DayOfWeek"},
		{"/api/billing/coworkertimepasses", "ExpireDate"},
		{"/api/billing/coworkercontracts", "CancellationDateLocal"},
		{"/api/sys/floorplandesks", "CoworkerContractIds"},
	} {
		env := sm.list(t, tc.path)
		if env.TotalItems == 0 {
			t.Errorf("%s: no records", tc.path)
			continue
		}
		if _, ok := env.Records[0][tc.field]; !ok {
			t.Errorf("%s: row lacks %s", tc.path, tc.field)
		}
	}
}
