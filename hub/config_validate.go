package hub

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// Validate checks the configuration and returns a *ConfigError listing every
// problem with its field path, or nil. Zero fields count as their defaults,
// so Validate gives the same answer before and after SetDefaults. Messages
// never contain credential values.
func (c *Config) Validate() error {
	v := &validator{
		c:       c,
		domains: map[string]*DomainConfig{},
		locks:   map[string]*LockConfig{},
		keys:    map[string]*KeyConfig{},
		members: map[string]*MemberConfig{},
	}
	v.site()
	v.domainList()
	v.lockList()
	v.keyList()
	v.officeHours()
	v.memberList()
	v.grantList()
	v.mqtt()
	v.http()
	v.nexudus()
	v.upstream()
	return v.p.err()
}

type validator struct {
	c       *Config
	p       problems
	domains map[string]*DomainConfig
	locks   map[string]*LockConfig
	keys    map[string]*KeyConfig
	members map[string]*MemberConfig
}

func (v *validator) site() {
	s := &v.c.Site
	if s.ID == "" {
		v.p.add("site.id", ErrRequired)
	} else {
		v.id("site.id", s.ID)
	}
	switch s.Durability {
	case "", DurabilityProcess, DurabilityDisk:
	default:
		v.p.addf("site.durability", "%q: want process or disk", string(s.Durability))
	}
	v.duration("site.clock_tolerance", s.ClockTolerance, 0, MaxClockTolerance)
	v.duration("site.flush_interval", s.FlushInterval, 0, MaxFlushInterval)
	if s.StageDir != "" && s.StageDir != StageNone && !filepath.IsAbs(s.StageDir) {
		v.p.addf("site.stage_dir", "%q: want an absolute path or %q", s.StageDir, StageNone)
	}
	if strings.ContainsRune(s.DataDir, 0) || strings.ContainsRune(s.MasterKeyFile, 0) || strings.ContainsRune(s.StageDir, 0) {
		v.p.addf("site", "paths must not contain NUL")
	}
}

func (v *validator) domainList() {
	if len(v.c.Domains) == 0 {
		v.p.addf("domains", "at least one domain is required")
	}
	for i := range v.c.Domains {
		d := &v.c.Domains[i]
		at := fmt.Sprintf("domains[%d]", i)
		if v.unique(at+".id", d.ID, "domain", func(id string) bool { _, ok := v.domains[id]; return ok }) {
			v.domains[d.ID] = d
		}
		switch {
		case d.Zone == "":
			v.p.addf(at+".zone", "%w (an IANA zone such as Europe/Stockholm)", ErrRequired)
		case d.Zone == "Local":
			v.p.addf(at+".zone", "\"Local\" depends on the box: name an IANA zone such as Europe/Stockholm")
		default:
			if _, err := time.LoadLocation(d.Zone); err != nil {
				v.p.addf(at+".zone", "unknown time zone %q", d.Zone)
			}
		}
		if d.Retention != 0 {
			v.duration(at+".retention", d.Retention, MinRetention, MaxRetention)
		}
		if len(d.NexudusBusiness) > 128 || !printable(d.NexudusBusiness) {
			v.p.addf(at+".nexudus_business", "want a Nexudus business uniqueId (printable, at most 128 characters)")
		}
	}
}

func (v *validator) lockList() {
	identities := map[string]string{}
	for i := range v.c.Locks {
		l := &v.c.Locks[i]
		at := fmt.Sprintf("locks[%d]", i)
		if v.unique(at+".id", l.ID, "lock", func(id string) bool { _, ok := v.locks[id]; return ok }) {
			v.locks[l.ID] = l
		}
		v.domainRef(at+".domain", l.Domain)
		v.duration(at+".offline_horizon", l.OfflineHorizon, 0, MaxOfflineHorizon)
		v.duration(at+".unlock_duration", l.UnlockDuration, 0, MaxUnlockDuration)
		switch l.FailMode {
		case "", "secure", "safe":
		default:
			v.p.addf(at+".fail_mode", "%q: want secure or safe", l.FailMode)
		}
		ident := l.TLSIdentity
		if ident == "" {
			ident = l.ID
		} else if len(ident) > 255 || !printable(ident) {
			v.p.addf(at+".tls_identity", "want a certificate common name (printable, at most 255 characters)")
		}
		if prev, ok := identities[ident]; ok && ident != "" {
			v.p.addf(at+".tls_identity", "identity %q is already used by %s", ident, prev)
		} else {
			identities[ident] = at
		}
	}
}

func (v *validator) keyList() {
	for i := range v.c.Keys {
		k := &v.c.Keys[i]
		at := fmt.Sprintf("keys[%d]", i)
		if v.unique(at+".id", k.ID, "key", func(id string) bool { _, ok := v.keys[id]; return ok }) {
			v.keys[k.ID] = k
		}
		domainOK := v.domainRef(at+".domain", k.Domain)
		if len(k.Locks) == 0 {
			v.p.addf(at+".locks", "a key must name at least one lock")
		}
		seen := map[string]bool{}
		for j, id := range k.Locks {
			lat := fmt.Sprintf("%s.locks[%d]", at, j)
			l, ok := v.locks[id]
			switch {
			case !ok:
				v.p.addf(lat, "unknown lock %q", id)
			case domainOK && l.Domain != k.Domain:
				v.p.addf(lat, "lock %q is in domain %q, not %q", id, l.Domain, k.Domain)
			case seen[id]:
				v.p.addf(lat, "lock %q is listed twice", id)
			}
			seen[id] = true
		}
		for j, w := range k.Schedule {
			if _, err := window(fmt.Sprintf("%s.schedule[%d]", at, j), w); err != nil {
				v.p = append(v.p, err.(*FieldError))
			}
		}
		for j, h := range k.Holidays {
			if _, err := policy.ParseDate(h); err != nil {
				v.p.addf(fmt.Sprintf("%s.holidays[%d]", at, j), "date %q: want YYYY-MM-DD", h)
			}
		}
	}
}

func (v *validator) officeHours() {
	for i := range v.c.Locks {
		l := &v.c.Locks[i]
		if l.OfficeHours == "" {
			continue
		}
		at := fmt.Sprintf("locks[%d].office_hours", i)
		k, ok := v.keys[l.OfficeHours]
		switch {
		case !ok:
			v.p.addf(at, "unknown key %q", l.OfficeHours)
		case k.Domain != l.Domain:
			v.p.addf(at, "key %q is in domain %q, not %q", k.ID, k.Domain, l.Domain)
		case !containsStr(k.Locks, l.ID):
			v.p.addf(at, "key %q does not contain lock %q", k.ID, l.ID)
		}
	}
}

func (v *validator) grantList() {
	refs := map[string]string{}
	for i := range v.c.Grants {
		g := &v.c.Grants[i]
		at := fmt.Sprintf("grants[%d]", i)
		m, mok := v.members[g.Member]
		switch {
		case g.Member == "":
			v.p.add(at+".member", ErrRequired)
		case !mok:
			v.p.addf(at+".member", "unknown member %q (grants name config members)", g.Member)
		}
		k, kok := v.keys[g.Key]
		switch {
		case g.Key == "":
			v.p.add(at+".key", ErrRequired)
		case !kok:
			v.p.addf(at+".key", "unknown key %q", g.Key)
		case mok && k.Domain != m.Domain:
			v.p.addf(at+".key", "key %q is in domain %q, member %q in %q", k.ID, k.Domain, m.ID, m.Domain)
		}
		from, fok := v.timestamp(at+".from", g.From)
		until, uok := v.timestamp(at+".until", g.Until)
		if fok && uok && !from.IsZero() && !until.IsZero() && !until.After(from) {
			v.p.addf(at+".until", "must be after from")
		}
		ref := g.Reference
		if ref == "" && g.Member != "" && g.Key != "" {
			ref = g.Member + defaultReferenceSep + g.Key
		}
		if len(ref) > maxReferenceLen || !printable(ref) {
			v.p.addf(at+".reference", "want printable text of at most %d characters", maxReferenceLen)
		} else if prev, ok := refs[ref]; ok && ref != "" {
			v.p.addf(at+".reference", "reference %q is already used by %s (set distinct references)", ref, prev)
		} else {
			refs[ref] = at
		}
	}
}

func (v *validator) timestamp(at, s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		v.p.addf(at, "timestamp %q: want RFC 3339, e.g. 2026-01-31T18:00:00+01:00", s)
		return time.Time{}, false
	}
	return t, true
}

// unique checks an id and reports whether it is new.
func (v *validator) unique(at, id, what string, exists func(string) bool) bool {
	if id == "" {
		v.p.add(at, ErrRequired)
		return false
	}
	if !v.id(at, id) {
		return false
	}
	if exists(id) {
		v.p.addf(at, "%w: %s %q is defined twice", ErrDuplicateID, what, id)
		return false
	}
	return true
}

func (v *validator) id(at, id string) bool {
	if !validID(id) {
		v.p.addf(at, "id %q: want 1 to %d characters of A-Z a-z 0-9 . _ -", truncate(id), maxIDLen)
		return false
	}
	return true
}

func (v *validator) domainRef(at, id string) bool {
	if id == "" {
		v.p.add(at, ErrRequired)
		return false
	}
	if _, ok := v.domains[id]; !ok {
		v.p.addf(at, "unknown domain %q", id)
		return false
	}
	return true
}

// duration checks a duration setting: zero is the default; otherwise it must
// be positive and within [lo, hi] (hi zero: no bound).
func (v *validator) duration(at string, d Duration, lo, hi time.Duration) {
	switch {
	case d == 0:
	case d < 0:
		v.p.add(at, ErrNotPositive)
	case d.Std() < lo:
		v.p.addf(at, "%s is below the minimum of %s", d, Duration(lo))
	case hi > 0 && d.Std() > hi:
		v.p.addf(at, "%s is above the maximum of %s", d, Duration(hi))
	}
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func printable(s string) bool {
	for _, r := range s {
		if r < ' ' || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > maxIDLen+8 {
		return s[:maxIDLen] + "..."
	}
	return s
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
