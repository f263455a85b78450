package hub

import (
	"fmt"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// Records are the policy records a site configuration defines, all with
// Origin policy.OriginConfig.
type Records struct {
	Domains []policy.Domain // Zone loaded
	Locks   []policy.Lock
	Access  []policy.Access // one per key; not indexed (call Index before sharing)
	Members []MemberRecord
	Grants  []policy.Grant // Kind policy.KindManual, keyed by reference
	// OfficeHours maps a lock id to the access whose schedule keeps that
	// door unlocked; locks without office hours are absent.
	OfficeHours map[string]string
}

// MemberRecord is a config member with its credentials as digests.
type MemberRecord struct {
	Member      policy.Member
	Credentials []policy.Credential
}

// DigestFunc turns a canonical credential value into its keyed digest (the
// hub passes the master key's digest function).
type DigestFunc func(policy.CredentialType, string) (policy.Credential, error)

// PolicyRecords validates the configuration and converts it into policy
// records. Credentials are canonicalised (policy.Canonical) and passed to
// digest; raw values go nowhere else. c is not modified: defaults are applied
// to a copy.
func (c *Config) PolicyRecords(digest DigestFunc) (Records, error) {
	if digest == nil {
		return Records{}, fmt.Errorf("policy records: nil digest function")
	}
	if err := c.Validate(); err != nil {
		return Records{}, err
	}
	d := c.clone()
	d.SetDefaults()
	var r Records
	var p problems
	zones := map[string]*time.Location{}
	for i, dc := range d.Domains {
		zone, err := time.LoadLocation(dc.Zone)
		if err != nil { // Validate loaded it already; kept for safety
			p.addf(fmt.Sprintf("domains[%d].zone", i), "unknown time zone %q", dc.Zone)
			continue
		}
		zones[dc.ID] = zone
		r.Domains = append(r.Domains, policy.Domain{ID: dc.ID, Name: dc.Name, Zone: zone,
			Retention: dc.Retention.Std(), NexudusBusiness: dc.NexudusBusiness, Origin: policy.OriginConfig})
	}
	for _, lc := range d.Locks {
		mode := policy.FailSecure
		if lc.FailMode == "safe" {
			mode = policy.FailSafe
		}
		r.Locks = append(r.Locks, policy.Lock{ID: lc.ID, Domain: lc.Domain, Name: lc.Name,
			OfflineHorizon: lc.OfflineHorizon.Std(), CheckIn: lc.CheckIn, UnlockDuration: lc.UnlockDuration.Std(),
			FailMode: mode, KeyGeneration: lc.KeyGeneration, Origin: policy.OriginConfig})
		if lc.OfficeHours != "" {
			if r.OfficeHours == nil {
				r.OfficeHours = map[string]string{}
			}
			r.OfficeHours[lc.ID] = lc.OfficeHours
		}
	}
	for i := range d.Keys {
		kc := &d.Keys[i]
		s, err := keySchedule(fmt.Sprintf("keys[%d]", i), kc)
		if err != nil {
			p = append(p, err.(*FieldError))
			continue
		}
		r.Access = append(r.Access, policy.Access{ID: kc.ID, Domain: kc.Domain, Name: kc.Name,
			Locks: append([]string(nil), kc.Locks...), Schedule: s, Origin: policy.OriginConfig})
	}
	for i := range d.Members {
		mc := &d.Members[i]
		st, _ := policy.ParseMemberStatus(mc.Status)
		mr := MemberRecord{Member: policy.Member{ID: mc.ID, Domain: mc.Domain, Name: mc.Name, Email: mc.Email,
			Status: st, Origin: policy.OriginConfig}}
		for _, cf := range mc.credentials(fmt.Sprintf("members[%d]", i)) {
			canon, err := policy.Canonical(cf.typ, cf.value)
			if err != nil {
				p.add(cf.at, err)
				continue
			}
			cred, err := digest(cf.typ, canon)
			if err != nil {
				p.addf(cf.at, "digest %s: %w", cf.typ, err)
				continue
			}
			mr.Credentials = append(mr.Credentials, cred)
		}
		r.Members = append(r.Members, mr)
	}
	for i, gc := range d.Grants {
		g := policy.Grant{GrantKey: policy.GrantKey{Origin: policy.OriginConfig, Kind: policy.KindManual,
			Reference: gc.Reference}, Member: gc.Member, Access: gc.Key}
		var err error
		if g.From, err = parseOptionalTime(gc.From); err != nil {
			p.addf(fmt.Sprintf("grants[%d].from", i), "%w", err)
		}
		if g.Until, err = parseOptionalTime(gc.Until); err != nil {
			p.addf(fmt.Sprintf("grants[%d].until", i), "%w", err)
		}
		r.Grants = append(r.Grants, g)
	}
	if err := p.err(); err != nil {
		return Records{}, err
	}
	return r, nil
}

func parseOptionalTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q: want RFC 3339", s)
	}
	return t, nil
}
