package policy_test

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

func compareKeys(a, b policy.GrantKey) int {
	return cmp.Or(cmp.Compare(a.Origin, b.Origin), cmp.Compare(a.Kind, b.Kind), strings.Compare(a.Reference, b.Reference))
}

// sampleGrants covers the times a grant can carry: zero ends, instants
// outside UnixNano's range (years 1 and 9999), before 1970, and nanoseconds.
func sampleGrants() []policy.Grant {
	t0 := time.Date(2026, 3, 29, 1, 30, 0, 123456789, time.UTC)
	gs := []policy.Grant{
		{GrantKey: policy.GrantKey{Origin: policy.OriginConfig, Kind: policy.KindManual, Reference: "front-door"}, Access: "acc-1"},
		{GrantKey: policy.GrantKey{Origin: policy.OriginNexudusREST, Kind: policy.KindBooking, Reference: "b-17"}, Access: "acc-2", From: t0, Until: t0.Add(time.Hour)},
		{GrantKey: policy.GrantKey{Origin: policy.OriginNexudusREST, Kind: policy.KindContract, Reference: "c-9"}, Access: "acc-1", From: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), Until: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		{GrantKey: policy.GrantKey{Origin: policy.OriginWebhook, Kind: policy.KindGroup, Reference: ""}, Access: "", From: time.Date(1960, 5, 1, 0, 0, 0, 1, time.UTC)},
		{GrantKey: policy.GrantKey{Origin: policy.OriginAdmin, Kind: policy.KindPass, Reference: "p-ü-長い"}, Access: "acc-長い", Until: t0},
	}
	for i := range gs {
		gs[i].Member = "member-1"
	}
	slices.SortFunc(gs, func(a, b policy.Grant) int { return compareKeys(a.GrantKey, b.GrantKey) })
	return gs
}

func TestGrantListRoundTrip(t *testing.T) {
	gs := sampleGrants()
	l, err := policy.PackGrants("member-1", gs)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != len(gs) || l.Member() != "member-1" {
		t.Fatalf("Len %d Member %q, want %d member-1", l.Len(), l.Member(), len(gs))
	}
	for i, want := range gs {
		got := l.At(i)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("At(%d) = %+v, want %+v", i, got, want)
		}
		if got.From.IsZero() != want.From.IsZero() || got.Until.IsZero() != want.Until.IsZero() {
			t.Errorf("At(%d): zero ends not kept", i)
		}
		if k := l.Key(i); k != want.GrantKey {
			t.Errorf("Key(%d) = %v, want %v", i, k, want.GrantKey)
		}
	}
	if got := l.Slice(); !reflect.DeepEqual(got, gs) {
		t.Errorf("Slice = %+v, want %+v", got, gs)
	}
}

func TestGrantListZeroAndEmpty(t *testing.T) {
	var zero policy.GrantList
	if zero.Len() != 0 || zero.Slice() != nil {
		t.Fatalf("zero list: Len %d Slice %v", zero.Len(), zero.Slice())
	}
	if _, found := zero.Search(policy.GrantKey{Origin: policy.OriginConfig}, compareKeys); found {
		t.Fatal("zero list found a key")
	}
	l, err := policy.PackGrants("m", nil)
	if err != nil || l.Len() != 0 || l.Member() != "m" {
		t.Fatalf("empty pack: %v, Len %d, Member %q", err, l.Len(), l.Member())
	}
}

func TestGrantListSearch(t *testing.T) {
	gs := sampleGrants()
	l, err := policy.PackGrants("member-1", gs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range gs {
		j, found := l.Search(gs[i].GrantKey, compareKeys)
		if !found || j != i {
			t.Errorf("Search(%v) = %d %v, want %d true", gs[i].GrantKey, j, found, i)
		}
	}
	missing := policy.GrantKey{Origin: policy.OriginNexudusREST, Kind: policy.KindBooking, Reference: "b-18"}
	if _, found := l.Search(missing, compareKeys); found {
		t.Errorf("Search found %v, which is not in the list", missing)
	}
}

func TestPackGrantLists(t *testing.T) {
	a, b := sampleGrants(), sampleGrants()[:2]
	lists, err := policy.PackGrantLists([]string{"a", "b", "c"}, [][]policy.Grant{a, b, nil})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]policy.Grant{a, b, nil} {
		got := lists[i].Slice()
		for j := range want {
			want[j].Member = []string{"a", "b", "c"}[i]
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("list %d = %+v, want %+v", i, got, want)
		}
	}
	if _, err := policy.PackGrantLists([]string{"a"}, nil); err == nil {
		t.Error("PackGrantLists accepted one member and no grant lists")
	}
}

func TestGrantListAtAllocatesNothing(t *testing.T) {
	l, err := policy.PackGrants("member-1", sampleGrants())
	if err != nil {
		t.Fatal(err)
	}
	var sink time.Time
	allocs := testing.AllocsPerRun(100, func() {
		for i := range l.Len() {
			g := l.At(i)
			sink = g.Until
		}
	})
	if allocs != 0 {
		t.Errorf("At allocates %.1f per run, want 0", allocs)
	}
	_ = sink
}
