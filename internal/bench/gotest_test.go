package bench

import (
	"strings"
	"testing"
)

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
BenchmarkDecide/allowed-2         	 5000000	       231.5 ns/op	         0 B/op	       0 allocs/op
BenchmarkDecide/allowed-2         	 5000000	       240.5 ns/op	         0 B/op	       0 allocs/op
BenchmarkDrain-2   	       3	 512345678 ns/op	     41000 events/s	      1000 events/batch	 123 B/op	 4 allocs/op
BenchmarkBroken-2 notanumber 5 ns/op
PASS
`
	m := parseGoBench(strings.NewReader(out))
	if got := m["BenchmarkDecide/allowed"]["ns/op"]; len(got) != 2 || got[0] != 231.5 || got[1] != 240.5 {
		t.Fatalf("Decide ns/op = %v", got)
	}
	if got := m["BenchmarkDrain"]["events/s"]; len(got) != 1 || got[0] != 41000 {
		t.Fatalf("Drain events/s = %v", got)
	}
	if _, ok := m["BenchmarkBroken"]; ok {
		t.Fatal("a malformed line was parsed")
	}
}

func TestNewStat(t *testing.T) {
	for _, c := range []struct {
		in            []float64
		med, min, max float64
	}{
		{[]float64{3, 1, 2}, 2, 1, 3},
		{[]float64{4, 1, 2, 3}, 2.5, 1, 4},
		{[]float64{7}, 7, 7, 7},
	} {
		s := NewStat(c.in)
		if s.Median != c.med || s.Min != c.min || s.Max != c.max || !s.Valid() {
			t.Errorf("NewStat(%v) = %+v", c.in, s)
		}
	}
	if NewStat(nil).Valid() {
		t.Error("empty stat is valid")
	}
}
