package nexudus_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/lockhub/lockhub/sync/nexudus"
)

func pageJSON(tb testing.TB, recs []map[string]any) []byte {
	tb.Helper()
	b, err := json.Marshal(map[string]any{
		"Records": recs, "CurrentPage": 1, "CurrentPageSize": len(recs), "TotalItems": len(recs),
		"TotalPages": 1, "HasNextPage": false, "HasPreviousPage": false, "CurrentSortDirection": 1,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func bookingRecs(n int) []map[string]any {
	recs := make([]map[string]any, 0, n)
	for i := range n {
		h := 8 + i%10
		recs = append(recs, map[string]any{
			"Id": 5000 + i, "UniqueId": fmt.Sprintf("9d0c-%06d", i), "BookingNumber": fmt.Sprint(i), "ResourceId": 300 + i%20,
			"ResourceName": "Room", "ResourceResourceTypeId": 3, "FloorPlanDeskId": nil, "CoworkerId": 88000 + i%500,
			"CoworkerFullName": "Member", "CoworkerTeamNames": "", "Tentative": i%7 == 0, "Online": false, "Invoiced": true,
			"FromTime": fmt.Sprintf("2025-03-%02dT%02d:00:00Z", 1+i%28, h), "ToTime": fmt.Sprintf("2025-03-%02dT%02d:30:00Z", 1+i%28, h),
			"FromTimeLocal": fmt.Sprintf("2025-03-%02dT%02d:00:00", 1+i%28, h+1), "ToTimeLocal": fmt.Sprintf("2025-03-%02dT%02d:30:00", 1+i%28, h+1),
			"RepeatSeriesUniqueId": nil, "CreatedOn": "2025-02-01T09:12:00.1234567Z", "UpdatedOn": "2025-02-01T09:12:00.1234567Z",
		})
	}
	return recs
}

func BenchmarkDecodePage(b *testing.B) {
	cw := pageJSON(b, coworkerRecs(1000))
	bk := pageJSON(b, bookingRecs(1000))
	b.Run("coworkers-1000", func(b *testing.B) {
		b.SetBytes(int64(len(cw)))
		b.ReportAllocs()
		for b.Loop() {
			p, err := nexudus.DecodePage[nexudus.Coworker](nexudus.EntityCoworker, cw)
			if err != nil || len(p.Records) != 1000 {
				b.Fatal(err)
			}
		}
	})
	b.Run("bookings-1000", func(b *testing.B) {
		b.SetBytes(int64(len(bk)))
		b.ReportAllocs()
		for b.Loop() {
			p, err := nexudus.DecodePage[nexudus.Booking](nexudus.EntityBooking, bk)
			if err != nil || len(p.Records) != 1000 {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkParseTime(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := nexudus.ParseTime("2025-03-04T08:44:10.1234567Z"); err != nil {
			b.Fatal(err)
		}
	}
}
