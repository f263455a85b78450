package bench

import (
	"math"
	"slices"
)

// Stat is a figure measured several times: its median and spread.
type Stat struct {
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Runs   []float64 `json:"runs"`
}

// NewStat summarises the runs (NaN values are dropped).
func NewStat(runs []float64) Stat {
	var v []float64
	for _, x := range runs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return Stat{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{Median: med, Min: s[0], Max: s[len(s)-1], Runs: v}
}

// Valid reports whether the stat has at least one run.
func (s Stat) Valid() bool { return len(s.Runs) > 0 }

// statOf collects f over xs.
func statOf[T any](xs []T, f func(T) float64) Stat {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	return NewStat(v)
}
