package hub

import (
	"fmt"
	"strings"

	"github.com/lockhub/lockhub/policy"
)

// credentialField is one credential of a config member.
type credentialField struct {
	at    string // field path, e.g. members[1].cards[0]
	typ   policy.CredentialType
	value string // raw value: never printed
}

// credentials lists the member's credentials with their field paths.
func (m *MemberConfig) credentials(at string) []credentialField {
	var out []credentialField
	for j, s := range m.Cards {
		out = append(out, credentialField{fmt.Sprintf("%s.cards[%d]", at, j), policy.CredCard, s})
	}
	for j, s := range m.Fobs {
		out = append(out, credentialField{fmt.Sprintf("%s.fobs[%d]", at, j), policy.CredFob, s})
	}
	if m.PIN != "" {
		out = append(out, credentialField{at + ".pin", policy.CredPIN, m.PIN})
	}
	for j, s := range m.PhoneKeys {
		out = append(out, credentialField{fmt.Sprintf("%s.phone_keys[%d]", at, j), policy.CredPhone, s})
	}
	return out
}

type credKey struct {
	domain string
	typ    policy.CredentialType
	value  string
}

func (v *validator) memberList() {
	holders := map[credKey]string{} // → field path of its first holder
	for i := range v.c.Members {
		m := &v.c.Members[i]
		at := fmt.Sprintf("members[%d]", i)
		if v.unique(at+".id", m.ID, "member", func(id string) bool { _, ok := v.members[id]; return ok }) {
			v.members[m.ID] = m
		}
		v.domainRef(at+".domain", m.Domain)
		if m.Status != "" {
			if st, err := policy.ParseMemberStatus(m.Status); err != nil || st == policy.StatusUnknown {
				v.p.addf(at+".status", "%q: want active, inactive, suspended or archived", m.Status)
			}
		}
		if m.Email != "" && (!strings.Contains(m.Email, "@") || !printable(m.Email) || len(m.Email) > 254) {
			v.p.addf(at+".email", "want an email address")
		}
		if len(m.Name) > 256 || !printable(m.Name) {
			v.p.addf(at+".name", "want printable text of at most 256 characters")
		}
		for _, cf := range m.credentials(at) {
			canon, err := policy.Canonical(cf.typ, cf.value)
			if err != nil {
				v.p.add(cf.at, err) // policy's errors never contain the value
				continue
			}
			k := credKey{m.Domain, cf.typ, canon}
			prev, dup := holders[k]
			switch {
			case !dup:
				holders[k] = cf.at
			case strings.HasPrefix(prev, at+"."):
				v.p.addf(cf.at, "same %s as %s", cf.typ, prev)
			default:
				v.p.addf(cf.at, "same %s as %s in domain %q: a shared %s is ambiguous and every use would be denied",
					cf.typ, prev, m.Domain, cf.typ)
			}
		}
	}
}
