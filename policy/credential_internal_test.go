package policy

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// The fast path for canonical card ids answers exactly as the full
// canonicalisation: every string over a small alphabet up to 5 characters,
// and random longer ones.
func TestCanonicalCardFastPathAgrees(t *testing.T) {
	const alphabet = "00aA9F: x"
	var check func(prefix string, depth int)
	n := 0
	check = func(s string, depth int) {
		n++
		fast, ferr := canonicalCard(s)
		slow, serr := canonicalCardSlow(s)
		if fast != slow || (ferr == nil) != (serr == nil) {
			t.Fatalf("canonicalCard(%q) = %q, %v; full path %q, %v", s, fast, ferr, slow, serr)
		}
		if isCanonicalCard(s) && (serr != nil || slow != s) {
			t.Fatalf("%q taken as canonical; full path gives %q, %v", s, slow, serr)
		}
		if depth == 0 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			check(s+alphabet[i:i+1], depth-1)
		}
	}
	check("", 5)
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range r.IntN(70) {
			b.WriteByte("0123456789ABCDEF0a"[r.IntN(18)])
		}
		check(b.String(), 0)
	}
	t.Logf("%d inputs", n)
	if allocs := testing.AllocsPerRun(100, func() { _, _ = canonicalCard("04A1B2C3") }); allocs != 0 {
		t.Errorf("canonical input: %v allocations, want 0", allocs)
	}
}
