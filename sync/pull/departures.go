package pull

import (
	"time"

	"github.com/lockhub/lockhub/policy"
)

// DepartedPrefix names the cursors that record when Nexudus stopped listing
// a member: "nexudus/departed/<member id>" = RFC 3339 time. The hub's
// retention job erases such a member once the domain's retention has passed
// since (design §5: members gone from Nexudus do not outlive the retention).
const DepartedPrefix = "nexudus/departed/"

// departures compares a full coworker list with the store's Nexudus
// members. A member Nexudus no longer lists is archived (denied; the diff
// removes its REST grants, and p.revoked its webhook grants) and its
// departure time recorded once; a member listed again loses the record
// (deriveCoworkers puts it back). It returns the cursor changes.
func (s *Syncer) departures(listed map[int64]bool, p *plan, now time.Time) map[string]string {
	follows := make(map[string]bool, len(s.cfg.Domains))
	for _, d := range s.cfg.Domains {
		follows[d.ID] = true
	}
	cursors := map[string]string{}
	for _, id := range s.store.MemberIDs() {
		dom, cw, ok := ParseMemberID(id)
		if !ok || !follows[dom] {
			continue
		}
		name := DepartedPrefix + id
		_, marked := s.store.Cursor(name)
		if listed[cw] {
			if marked {
				cursors[name] = "" // back in Nexudus: deletes the record
			}
			continue
		}
		p.revoked[id] = true
		if marked {
			continue
		}
		m, creds, ok := s.store.Member(id)
		if !ok {
			continue
		}
		m.Status = policy.StatusArchived
		p.members = append(p.members, MemberPut{Member: m, Credentials: creds})
		cursors[name] = now.UTC().Format(time.RFC3339)
	}
	return cursors
}
