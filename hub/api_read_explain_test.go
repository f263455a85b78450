package hub

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzParseExplain: any query string parses or fails cleanly, and an error
// never repeats the credential value.
func FuzzParseExplain(f *testing.F) {
	for _, s := range []string{
		"lock=front-door&member=alice",
		"lock=front-door&type=card&value=04A1B2C3&at=2026-11-23T09:00",
		"lock=x&type=pin&value=1234&at=2026-11-23T09:00:00Z",
		"lock=&member=", "type=card&value=1", "lock=a&member=b&value=c", "%zz", "lock=a&at=\x00",
	} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		eq, err := parseExplain(q, now, time.UTC)
		if err != nil {
			if v := strings.TrimSpace(q.Get("value")); len(v) >= 4 && strings.Contains(err.Error(), v) {
				t.Fatalf("error %q repeats the value", err)
			}
			return
		}
		if eq.lock == "" || (eq.member == "") == (strings.TrimSpace(eq.value) == "") {
			t.Fatalf("accepted %q as %+v", raw, eq)
		}
	})
}

func TestParseExplain(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	sthlm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		raw    string
		ok     bool
		wantAt time.Time
	}{
		{"lock=a&member=b", true, now},
		{"lock=a&member=b&at=2026-11-23T09:00", true, time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)},
		{"lock=a&member=b&at=2026-11-23T09:00:00Z", true, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)},
		{"lock=a&type=fob&value=0A0B", true, now},
		{"lock=a", false, time.Time{}},
		{"member=b", false, time.Time{}},
		{"lock=a&type=fob&value=%20%20", false, time.Time{}},
		{"lock=a&member=b&at=9am", false, time.Time{}},
		{"lock=a&member=b&junk=" + strings.Repeat("x", 257), false, time.Time{}},
		{"lock=" + strings.Repeat("l", 65) + "&member=b", false, time.Time{}},
	}
	for _, tc := range tests {
		q, _ := url.ParseQuery(tc.raw)
		eq, err := parseExplain(q, now, sthlm)
		if (err == nil) != tc.ok {
			t.Errorf("parseExplain(%.60s) error = %v, want ok %v", tc.raw, err, tc.ok)
			continue
		}
		if tc.ok && !eq.at.Equal(tc.wantAt) {
			t.Errorf("parseExplain(%s).at = %v, want %v", tc.raw, eq.at, tc.wantAt)
		}
	}
}
