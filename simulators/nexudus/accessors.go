package nexudus

import (
	"slices"
	"strings"
)

// Credential is a coworker's access credential as the fake holds it, for
// the demo and load tests that play the part of a member at a door.
type Credential struct {
	Coworker int
	Type     string // "card" or "pin"
	Value    string
	Active   bool // false for inactive or archived coworkers
}

// Credentials lists the cards (one per AccessCardId token) and PINs of the
// coworkers of a business (0: every business), in coworker id order.
func (s *Server) Credentials(businessID int) []Credential {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]int, 0, len(s.st.coworkers))
	for id, c := range s.st.coworkers {
		if businessID == 0 || c.businessID == businessID {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []Credential
	for _, id := range ids {
		c := s.st.coworkers[id]
		active := c.active && !c.archived
		for _, card := range strings.FieldsFunc(c.card, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
			out = append(out, Credential{Coworker: id, Type: "card", Value: card, Active: active})
		}
		if c.pin != "" {
			out = append(out, Credential{Coworker: id, Type: "pin", Value: c.pin, Active: active})
		}
	}
	return out
}

// Business is a location as the fake holds it.
type Business struct {
	ID       int
	UniqueID string
	Name     string
}

// Businesses lists the locations in id order.
func (s *Server) Businesses() []Business {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Business, 0, len(s.st.businesses))
	for id, b := range s.st.businesses {
		out = append(out, Business{ID: id, UniqueID: b.uid, Name: b.name})
	}
	slices.SortFunc(out, func(a, b Business) int { return a.ID - b.ID })
	return out
}
