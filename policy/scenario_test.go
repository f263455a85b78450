package policy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// TestDecideScenarios runs the scenario files in testdata/decide: each holds
// a small world and one request, a dashed line, then "allow" or "deny
// <reason>". The format, one record per line ('#' starts a comment):
//
//	domain ID ZONE                       (the first is the default domain)
//	lock ID [domain D] [horizon DUR] [unlock DUR] [lockdown] [released] [keypad-until T]
//	member ID [domain D] [status S]
//	cred MEMBER TYPE RAW                 (held in the member's domain)
//	access ID [domain D] locks L1,L2 [window DAYS HH:MM-HH:MM]... [holiday YYYY-MM-DD]...
//	grant MEMBER ACCESS [origin O] [kind K] [from T] [until T]
//	sync [DOMAIN] T                      (last Nexudus REST pass)
//	clock T [tolerance DUR]
//	now T
//	request TYPE RAW at LOCK | request member ID at LOCK
//
// T is RFC 3339, or "YYYY-MM-DDTHH:MM" in the default domain's zone.
func TestDecideScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "decide", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios in testdata/decide: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, ok := strings.Cut(string(data), "\n----------")
			if !ok {
				t.Fatalf("%s: no dashed line", file)
			}
			sc, err := parseScenario(t, input)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			want = strings.TrimSpace(strings.TrimLeft(want, "-"))
			d := policy.Decide(sc.now, sc.req, sc.v)
			got := "allow"
			if !d.Allowed() {
				got = "deny " + d.Reason.String()
			}
			if got != want {
				t.Errorf("%s: Decide(%v) = %v, want %v", file, reqString(sc.now, sc.req), got, want)
			}
		})
	}
}

type scenario struct {
	v   *mapView
	now time.Time
	req policy.Request
}

func parseScenario(tb testing.TB, input string) (*scenario, error) {
	tb.Helper()
	sc := &scenario{v: newMapView()}
	var defDomain string
	var defZone *time.Location
	refs := 0
	parseTime := func(s string) (time.Time, error) {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, nil
		}
		if defZone == nil {
			return time.Time{}, fmt.Errorf("local time %q before any domain", s)
		}
		return time.ParseInLocation("2006-01-02T15:04", s, defZone)
	}
	for n, line := range strings.Split(input, "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if err := sc.record(tb, f, &defDomain, &defZone, &refs, parseTime); err != nil {
			return nil, fmt.Errorf("line %d %q: %w", n+1, line, err)
		}
	}
	if sc.now.IsZero() || sc.req.Lock == "" {
		return nil, fmt.Errorf("scenario needs now and request")
	}
	return sc, nil
}

// opts reads "key value" pairs and bare flags after the fixed fields.
func opts(f []string, flags ...string) (map[string][]string, error) {
	m := map[string][]string{}
	for i := 0; i < len(f); i++ {
		isFlag := false
		for _, fl := range flags {
			isFlag = isFlag || f[i] == fl
		}
		switch {
		case isFlag:
			m[f[i]] = append(m[f[i]], "")
		case f[i] == "window" && i+2 < len(f):
			m["window"] = append(m["window"], f[i+1]+" "+f[i+2])
			i += 2
		case i+1 < len(f):
			m[f[i]] = append(m[f[i]], f[i+1])
			i++
		default:
			return nil, fmt.Errorf("option %q without a value", f[i])
		}
	}
	return m, nil
}

func (sc *scenario) record(tb testing.TB, f []string, defDomain *string, defZone **time.Location, refs *int, parseTime func(string) (time.Time, error)) error {
	v := sc.v
	one := func(o map[string][]string, k, def string) string {
		if len(o[k]) > 0 {
			return o[k][len(o[k])-1]
		}
		return def
	}
	switch {
	case f[0] == "domain" && len(f) == 3:
		z, err := time.LoadLocation(f[2])
		if err != nil {
			return err
		}
		if *defDomain == "" {
			*defDomain, *defZone = f[1], z
		}
		v.addDomain(policy.Domain{ID: f[1], Zone: z, Origin: policy.OriginConfig})
	case f[0] == "lock" && len(f) >= 2:
		o, err := opts(f[2:], "lockdown", "released")
		if err != nil {
			return err
		}
		l := policy.Lock{ID: f[1], Domain: one(o, "domain", *defDomain)}
		if l.OfflineHorizon, err = time.ParseDuration(one(o, "horizon", "0s")); err != nil {
			return err
		}
		if l.UnlockDuration, err = time.ParseDuration(one(o, "unlock", "0s")); err != nil {
			return err
		}
		st := policy.LockState{Lockdown: o["lockdown"] != nil, Released: o["released"] != nil}
		if k := one(o, "keypad-until", ""); k != "" {
			if st.KeypadLockedUntil, err = parseTime(k); err != nil {
				return err
			}
		}
		v.addLock(l)
		v.states[l.ID] = st
	case f[0] == "member" && len(f) >= 2:
		o, err := opts(f[2:])
		if err != nil {
			return err
		}
		st, err := policy.ParseMemberStatus(one(o, "status", "active"))
		if err != nil {
			return err
		}
		v.addMember(policy.Member{ID: f[1], Domain: one(o, "domain", *defDomain), Status: st})
	case f[0] == "cred" && len(f) == 4:
		m := v.members[f[1]]
		if m == nil {
			return fmt.Errorf("unknown member %q", f[1])
		}
		typ, err := policy.ParseCredentialType(f[2])
		if err != nil {
			return err
		}
		v.addHolder(m.Domain, cred(tb, typ, f[3]), m.ID)
	case f[0] == "access" && len(f) >= 2:
		o, err := opts(f[2:])
		if err != nil {
			return err
		}
		var ws []policy.Window
		for _, w := range o["window"] {
			dayNames, span, _ := strings.Cut(w, " ")
			start, end, _ := strings.Cut(span, "-")
			ws = append(ws, window(tb, dayNames, start, end))
		}
		a := policy.Access{ID: f[1], Name: f[1], Domain: one(o, "domain", *defDomain), Schedule: schedule(tb, ws, o["holiday"]...)}
		if l := one(o, "locks", ""); l != "" {
			a.Locks = strings.Split(l, ",")
		}
		v.addAccess(a)
	case f[0] == "grant" && len(f) >= 3:
		o, err := opts(f[3:])
		if err != nil {
			return err
		}
		*refs++
		g := grant(fmt.Sprintf("g%d", *refs), f[1], f[2])
		if g.Origin, err = policy.ParseOrigin(one(o, "origin", "config")); err != nil {
			return err
		}
		if g.Kind, err = policy.ParseGrantKind(one(o, "kind", "manual")); err != nil {
			return err
		}
		for k, dst := range map[string]*time.Time{"from": &g.From, "until": &g.Until} {
			if s := one(o, k, ""); s != "" {
				if *dst, err = parseTime(s); err != nil {
					return err
				}
			}
		}
		v.addGrant(g)
	case f[0] == "sync" && (len(f) == 2 || len(f) == 3):
		dom, ts := *defDomain, f[1]
		if len(f) == 3 {
			dom, ts = f[1], f[2]
		}
		t, err := parseTime(ts)
		if err != nil {
			return err
		}
		v.lastSync[dom] = t
	case f[0] == "clock" && len(f) >= 2:
		t, err := parseTime(f[1])
		if err != nil {
			return err
		}
		o, err := opts(f[2:])
		if err != nil {
			return err
		}
		tol, err := time.ParseDuration(one(o, "tolerance", "0s"))
		if err != nil {
			return err
		}
		v.clock = policy.ClockMark{Newest: t, Tolerance: tol}
	case f[0] == "now" && len(f) == 2:
		t, err := parseTime(f[1])
		if err != nil {
			return err
		}
		sc.now = t
	case f[0] == "request" && len(f) == 5 && f[3] == "at":
		sc.req = policy.Request{Lock: f[4]}
		if f[1] == "member" {
			sc.req.Member = f[2]
			break
		}
		typ, err := policy.ParseCredentialType(f[1])
		if err != nil {
			return err
		}
		sc.req.Credential = cred(tb, typ, f[2])
	default:
		return fmt.Errorf("unknown record")
	}
	return nil
}
