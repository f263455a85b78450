package nexudus_test

import (
	"slices"
	"testing"

	"github.com/lockhub/lockhub/simulators/nexudus"
)

func TestCredentialsListCardsAndPINs(t *testing.T) {
	s := nexudus.New(nexudus.Config{})
	biz, err := s.AddBusiness("B", "Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.AddCoworker(nexudus.CoworkerSpec{FullName: "A", BusinessID: biz, AccessCardID: "04A1;0B0B", AccessPincode: "4711"})
	b, _ := s.AddCoworker(nexudus.CoworkerSpec{FullName: "B", BusinessID: biz, AccessCardID: "0C0C", Inactive: true})
	got := s.Credentials(biz)
	want := []nexudus.Credential{
		{Coworker: a, Type: "card", Value: "04A1", Active: true},
		{Coworker: a, Type: "card", Value: "0B0B", Active: true},
		{Coworker: a, Type: "pin", Value: "4711", Active: true},
		{Coworker: b, Type: "card", Value: "0C0C", Active: false},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Credentials = %+v, want %+v", got, want)
	}
}

func TestBusinessesInIDOrder(t *testing.T) {
	s := nexudus.New(nexudus.Config{})
	a, _ := s.AddBusiness("A", "Europe/Stockholm")
	b, _ := s.AddBusiness("B", "Europe/London")
	got := s.Businesses()
	if len(got) != 2 || got[0].ID != a || got[1].ID != b || got[0].Name != "A" || got[1].UniqueID == "" {
		t.Errorf("Businesses = %+v, want A (id %d) then B (id %d) with unique ids", got, a, b)
	}
}
