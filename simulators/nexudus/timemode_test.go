package nexudus_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/simulators/nexudus"
)

// TestTimeModes checks the documented relation between FromTime and
// FromTimeLocal (nexudus.md §5 Q8) on DST-change days in Stockholm (spring
// forward) and London (fall back, where 01:30 local happens twice).
func TestTimeModes(t *testing.T) {
	type want struct{ from, fromLocal, to, toLocal string }
	tests := []struct {
		mode          string
		sthlm, london want
		updatedOn     string
		rangeQuery    string
	}{
		{
			mode:       nexudus.TimeModeUTC,
			sthlm:      want{"2025-03-30T00:30:00Z", "2025-03-30T01:30:00", "2025-03-30T02:00:00Z", "2025-03-30T04:00:00"},
			london:     want{"2025-10-26T00:30:00Z", "2025-10-26T01:30:00", "2025-10-26T01:30:00Z", "2025-10-26T01:30:00"},
			updatedOn:  "2025-03-04T08:00:00Z",
			rangeQuery: "from_Booking_FromTime=2025-03-30T00:30&to_Booking_FromTime=2025-03-30T00:30",
		},
		{
			mode:       nexudus.TimeModeWallclock,
			sthlm:      want{"2025-03-30T01:30:00", "2025-03-30T01:30:00", "2025-03-30T04:00:00", "2025-03-30T04:00:00"},
			london:     want{"2025-10-26T01:30:00", "2025-10-26T01:30:00", "2025-10-26T01:30:00", "2025-10-26T01:30:00"},
			updatedOn:  "2025-03-04T09:00:00",
			rangeQuery: "from_Booking_FromTime=2025-03-30T01:30&to_Booking_FromTime=2025-03-30T01:30",
		},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			sm := newSim(t, nexudus.Config{TimeMode: tc.mode})
			london := sm.id(sm.AddBusiness("London", "Europe/London"))
			cw := sm.id(sm.AddCoworker(nexudus.CoworkerSpec{FullName: "Ana Ruiz"}))
			rs := sm.id(sm.AddResource(nexudus.ResourceSpec{Name: "Aurora"}))
			rl := sm.id(sm.AddResource(nexudus.ResourceSpec{BusinessID: london, Name: "Thames"}))
			bs := sm.id(sm.AddBooking(nexudus.BookingSpec{ResourceID: rs, CoworkerID: cw,
				From: time.Date(2025, 3, 30, 0, 30, 0, 0, time.UTC), To: time.Date(2025, 3, 30, 2, 0, 0, 0, time.UTC)}))
			bl := sm.id(sm.AddBooking(nexudus.BookingSpec{ResourceID: rl, CoworkerID: cw,
				From: time.Date(2025, 10, 26, 0, 30, 0, 0, time.UTC), To: time.Date(2025, 10, 26, 1, 30, 0, 0, time.UTC)}))
			for id, w := range map[int]want{bs: tc.sthlm, bl: tc.london} {
				_, _, body := sm.get(t, fmt.Sprintf("/api/spaces/bookings/%d", id))
				var b map[string]any
				if err := json.Unmarshal(body, &b); err != nil {
					t.Fatal(err)
				}
				got := want{b["FromTime"].(string), b["FromTimeLocal"].(string), b["ToTime"].(string), b["ToTimeLocal"].(string)}
				if got != w {
					t.Errorf("booking %d = %+v, want %+v", id, got, w)
				}
				if b["UpdatedOn"] != tc.updatedOn {
					t.Errorf("UpdatedOn = %v, want %s", b["UpdatedOn"], tc.updatedOn)
				}
			}
			if got := ids(sm.listAll(t, "/api/spaces/bookings?"+tc.rangeQuery)); !slices.Equal(got, []int{bs}) {
				t.Errorf("range %s = %v, want [%d]", tc.rangeQuery, got, bs)
			}
			env := sm.list(t, "/api/sys/businesses?orderBy=Id")
			if env.Records[0]["SimpleTimeZoneId"].(float64) != 31 || env.Records[1]["SimpleTimeZoneName"] != "GMT Standard Time" {
				t.Errorf("businesses = %v", env.Records)
			}
		})
	}
}

// TestSwitchModeAndWrite checks a write read in the mode's clock and the
// same record rendered in both modes.
func TestSwitchModeAndWrite(t *testing.T) {
	sm := newSim(t, nexudus.Config{TimeMode: nexudus.TimeModeWallclock})
	cw := sm.id(sm.AddCoworker(nexudus.CoworkerSpec{FullName: "Ana Ruiz"}))
	env := sm.list(t, "/api/sys/businesses")
	bid := int(env.Records[0]["Id"].(float64))
	body := fmt.Sprintf(`{"CoworkerId":%d,"BusinessId":%d,"Source":2,"FromTime":"2025-03-04T09:05:00"}`, cw, bid)
	req, _ := http.NewRequest(http.MethodPost, sm.url+"/api/spaces/checkins", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+sm.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != 200 || res["WasSuccessful"] != true {
		t.Fatalf("post checkin: %d %v", resp.StatusCode, res)
	}
	must(t, sm.SetTimeMode(nexudus.TimeModeUTC))
	rec := sm.list(t, "/api/spaces/checkins").Records[0]
	if rec["FromTime"] != "2025-03-04T08:05:00Z" || rec["FromTimeLocal"] != "2025-03-04T09:05:00" || rec["Source"].(float64) != 2 {
		t.Errorf("checkin = %v", rec)
	}
	if err := sm.SetTimeMode("local"); err == nil {
		t.Error("SetTimeMode accepted an unknown mode")
	}
}
