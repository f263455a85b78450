package pull

import (
	"testing"
	"time"
)

func TestParseOffset(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"+01:00", time.Hour, true},
		{"01:00:00", time.Hour, true},
		{"-05:30", -5*time.Hour - 30*time.Minute, true},
		{"", 0, false},
		{"UTC", 0, false},
		{"+99:00", 0, false},
		{"1", 0, false},
		{"+01:xx", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseOffset(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseOffset(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	stockholm, _ := time.LoadLocation("Europe/Stockholm")
	if !offsetFits(stockholm, time.Hour, 2025) || !offsetFits(stockholm, 2*time.Hour, 2025) || offsetFits(stockholm, 0, 2025) {
		t.Error("offsetFits(Stockholm) wrong")
	}
}

func FuzzParseOffset(f *testing.F) {
	f.Add("+01:00")
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseOffset(s)
		if ok && (d > 15*time.Hour || d < -15*time.Hour) {
			t.Errorf("parseOffset(%q) = %v out of range", s, d)
		}
		if !ok && d != 0 {
			t.Errorf("parseOffset(%q) failed with %v", s, d)
		}
	})
}
