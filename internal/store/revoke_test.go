package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/policy"
)

func revokeMember(id string) Revocation {
	return Revocation{Member: id, At: t0, Actor: "admin", Note: "must not enter"}
}

func revokeCred(domain string, c policy.Credential) Revocation {
	return Revocation{Domain: domain, Credential: c, At: t0, Actor: "ops", Note: "lost card"}
}

// TestRevokeMemberSurvivesSyncAndReopen: a revoked member reads as
// suspended (member_inactive) everywhere, also after a Nexudus batch puts it
// again as active, after a full replace of its origin and after a reopen;
// lifting the revocation restores the member's own status.
func TestRevokeMemberSurvivesSyncAndReopen(t *testing.T) {
	s, dir := openTemp(t)
	apply(t, s, fixtureBatch(t))
	bobFob := policy.Request{Lock: "front", Credential: digest(t, policy.CredFob, "DEADBEEF")}
	aliceCard := policy.Request{Lock: "front", Credential: digest(t, policy.CredCard, "04A1B2C3")}
	for _, r := range []policy.Request{bobFob, aliceCard} {
		if d := s.Decide(t0, r); !d.Allowed() {
			t.Fatalf("before revoking: Decide(%v) = %v, want allowed", r.Lock, d.Reason)
		}
	}
	b := NewBatch()
	b.PutRevocation(revokeMember("alice"))
	b.PutRevocation(revokeMember("bob"))
	apply(t, s, b)

	check := func(when string, s *Store, want policy.Reason) {
		t.Helper()
		for _, r := range []policy.Request{bobFob, aliceCard, {Lock: "front", Member: "alice"}} {
			if d := s.Decide(t0, r); d.Reason != want {
				t.Errorf("%s: Decide(%s, member %q) = %v, want %v", when, r.Lock, r.Member, d.Reason, want)
			}
		}
	}
	check("revoked", s, policy.ReasonMemberInactive)
	if ex := s.Explain(t0, aliceCard); ex.Member == nil || ex.Member.Status != policy.StatusSuspended || ex.Member.Name != "Alice" {
		t.Errorf("Explain of a revoked member: member %+v, want Alice suspended", ex.Member)
	}

	// A Nexudus pass re-puts alice as active and replaces its origin; a
	// config reload re-puts bob.
	b = NewBatch()
	b.ReplaceOrigin(policy.OriginNexudusREST)
	b.PutMember(policy.Member{ID: "alice", Domain: "hq", Name: "Alice B.", Status: policy.StatusActive, Origin: policy.OriginNexudusREST},
		[]policy.Credential{digest(t, policy.CredCard, "04A1B2C3")})
	b.PutGrant(policy.Grant{GrantKey: policy.GrantKey{Origin: policy.OriginNexudusREST, Kind: policy.KindContract, Reference: "c-1"}, Member: "alice", Access: "all"})
	apply(t, s, b)
	b = NewBatch()
	b.ReplaceOrigin(policy.OriginConfig)
	b.PutDomain(policy.Domain{ID: "hq", Zone: mustZone(t, "Europe/Berlin"), Origin: policy.OriginConfig})
	b.PutLock(policy.Lock{ID: "front", Domain: "hq", Origin: policy.OriginConfig})
	b.PutLock(policy.Lock{ID: "garage", Domain: "hq", Origin: policy.OriginConfig})
	b.PutAccess(policy.Access{ID: "all", Domain: "hq", Locks: []string{"front", "garage"}, Origin: policy.OriginConfig})
	b.PutMember(policy.Member{ID: "bob", Domain: "hq", Status: policy.StatusActive, Origin: policy.OriginConfig},
		[]policy.Credential{digest(t, policy.CredFob, "DEADBEEF")})
	b.PutGrant(policy.Grant{GrantKey: policy.GrantKey{Origin: policy.OriginConfig, Kind: policy.KindManual, Reference: "bob-all"}, Member: "bob", Access: "all"})
	apply(t, s, b)
	check("after a sync and a config replace", s, policy.ReasonMemberInactive)
	if ex := s.Explain(t0, aliceCard); ex.Member == nil || ex.Member.Name != "Alice B." || ex.Member.Status != policy.StatusSuspended {
		t.Errorf("revoked member after a re-put: %+v, want the new record, suspended", ex.Member)
	}

	s = reopen(t, s, dir)
	check("after reopen", s, policy.ReasonMemberInactive)
	if got := s.Revocations(); len(got) != 2 || got[0].Member != "alice" || got[1].Member != "bob" || !got[0].At.Equal(t0) || got[0].Actor != "admin" {
		t.Errorf("Revocations after reopen = %+v", got)
	}

	b = NewBatch()
	b.DeleteRevocation(RevocationKey{Member: "alice"})
	b.DeleteRevocation(RevocationKey{Member: "bob"})
	apply(t, s, b)
	check("lifted", s, policy.ReasonAllowed)
	s = reopen(t, s, dir)
	check("lifted, after reopen", s, policy.ReasonAllowed)
	if got := s.Revocations(); len(got) != 0 {
		t.Errorf("Revocations after lifting = %+v", got)
	}
}

// TestRevokeBeforeMemberExists: a revocation made while the member is
// unknown applies when a sync brings the member in, and a member deleted
// and put again stays revoked.
func TestRevokeBeforeMemberExists(t *testing.T) {
	s, _ := openTemp(t)
	apply(t, s, fixtureBatch(t))
	b := NewBatch()
	b.PutRevocation(revokeMember("dave"))
	apply(t, s, b)
	card := digest(t, policy.CredCard, "0D0D")
	b = NewBatch()
	b.PutMember(policy.Member{ID: "dave", Domain: "hq", Status: policy.StatusActive, Origin: policy.OriginWebhook}, []policy.Credential{card})
	b.PutGrant(policy.Grant{GrantKey: policy.GrantKey{Origin: policy.OriginAdmin, Kind: policy.KindManual, Reference: "dave"}, Member: "dave", Access: "all"})
	apply(t, s, b)
	req := policy.Request{Lock: "front", Credential: card}
	if d := s.Decide(t0, req); d.Reason != policy.ReasonMemberInactive {
		t.Errorf("member put after its revocation: Decide = %v, want member_inactive", d.Reason)
	}
	b = NewBatch()
	b.DeleteMember("dave")
	apply(t, s, b)
	if d := s.Decide(t0, req); d.Reason != policy.ReasonUnknownCredential {
		t.Errorf("deleted revoked member: Decide = %v, want unknown_credential", d.Reason)
	}
	b = NewBatch()
	b.PutMember(policy.Member{ID: "dave", Domain: "hq", Status: policy.StatusActive, Origin: policy.OriginWebhook}, []policy.Credential{card})
	b.PutGrant(policy.Grant{GrantKey: policy.GrantKey{Origin: policy.OriginAdmin, Kind: policy.KindManual, Reference: "dave"}, Member: "dave", Access: "all"})
	apply(t, s, b)
	if d := s.Decide(t0, req); d.Reason != policy.ReasonMemberInactive {
		t.Errorf("member deleted and put again: Decide = %v, want member_inactive", d.Reason)
	}
}

// TestRevokeCredential: a revoked card has no holder in its domain (the
// member's other credentials keep working), a re-put of the member with the
// same card does not bring it back, and the revocation persists.
func TestRevokeCredential(t *testing.T) {
	s, dir := openTemp(t)
	apply(t, s, fixtureBatch(t))
	card := digest(t, policy.CredCard, "04A1B2C3")
	b := NewBatch()
	b.PutRevocation(revokeCred("hq", card))
	b.PutRevocation(revokeCred("elsewhere", digest(t, policy.CredFob, "DEADBEEF"))) // another domain: no effect here
	apply(t, s, b)
	cardReq := policy.Request{Lock: "front", Credential: card}
	fobReq := policy.Request{Lock: "front", Credential: digest(t, policy.CredFob, "DEADBEEF")}
	memberReq := policy.Request{Lock: "front", Member: "alice"}
	want := map[*policy.Request]policy.Reason{&cardReq: policy.ReasonUnknownCredential, &fobReq: policy.ReasonAllowed, &memberReq: policy.ReasonAllowed}
	check := func(when string, s *Store) {
		t.Helper()
		for r, w := range want {
			if d := s.Decide(t0, *r); d.Reason != w {
				t.Errorf("%s: Decide(%+v) = %v, want %v", when, r.Credential.Type, d.Reason, w)
			}
		}
	}
	check("revoked", s)
	b = NewBatch()
	b.PutMember(policy.Member{ID: "alice", Domain: "hq", Status: policy.StatusActive, Origin: policy.OriginNexudusREST}, []policy.Credential{card})
	apply(t, s, b)
	check("after a sync re-puts the card", s)
	s = reopen(t, s, dir)
	check("after reopen", s)
	k := RevocationKey{Domain: "hq", Credential: card}
	r, ok := s.Revocation(k)
	if !ok || r.Note != "lost card" || r.Key() != k {
		t.Fatalf("Revocation(%v) = %+v, %v", k, r, ok)
	}
	b = NewBatch()
	b.DeleteRevocation(k)
	apply(t, s, b)
	if d := s.Decide(t0, cardReq); !d.Allowed() {
		t.Errorf("lifted credential revocation: Decide = %v, want allowed", d.Reason)
	}
}

func TestDecideWithRevocationsAllocatesNothing(t *testing.T) {
	s, _ := openTemp(t)
	apply(t, s, fixtureBatch(t))
	b := NewBatch()
	b.PutRevocation(revokeMember("carol"))
	b.PutRevocation(revokeCred("hq", digest(t, policy.CredPIN, "9999")))
	apply(t, s, b)
	req := policy.Request{Lock: "front", Credential: digest(t, policy.CredFob, "DEADBEEF")}
	if n := testing.AllocsPerRun(100, func() { s.Decide(t0, req) }); n != 0 {
		t.Errorf("Decide with revocations: %v allocations, want 0", n)
	}
}

func TestRevocationIDs(t *testing.T) {
	card := digest(t, policy.CredCard, "04A1B2C3")
	for _, k := range []RevocationKey{{Member: "alice"}, {Member: "a:b:c"}, {Domain: "hq", Credential: card}, {Domain: "d:with:colons", Credential: card}} {
		got, err := ParseRevocationID(k.String())
		if err != nil || got != k {
			t.Errorf("ParseRevocationID(%q) = %+v, %v; want %+v", k.String(), got, err, k)
		}
	}
	for _, bad := range []string{"", "member:", "alice", "credential:card:00:hq", "credential:nope:" + strings.Repeat("0", 64) + ":hq",
		"credential:card:" + strings.Repeat("zz", 32) + ":hq", "credential:card:" + strings.Repeat("0", 64) + ":", "credential:card",
		"member:" + strings.Repeat("x", maxStringLen+1)} {
		if _, err := ParseRevocationID(bad); !errors.Is(err, ErrBadRevocationID) {
			t.Errorf("ParseRevocationID(%q) = %v, want ErrBadRevocationID", bad, err)
		}
	}
}

func TestBatchRejectsBadRevocations(t *testing.T) {
	card := digest(t, policy.CredCard, "04A1B2C3")
	for name, r := range map[string]Revocation{
		"empty":        {At: t0},
		"no time":      {Member: "alice"},
		"no type":      {Domain: "hq", At: t0},
		"no domain":    {Credential: card, At: t0},
		"long note":    {Member: "alice", At: t0, Note: strings.Repeat("n", maxStringLen+1)},
		"bad cred typ": {Domain: "hq", Credential: policy.Credential{Type: 9}, At: t0},
		"mixed":        {Member: "alice", Domain: "hq", Credential: card, At: t0},
	} {
		s, _ := openTemp(t)
		b := NewBatch()
		b.PutRevocation(r)
		if err := s.Apply(t.Context(), b); err == nil {
			t.Errorf("%s: Apply accepted %+v", name, r)
		}
	}
}

func sampleRevocations(tb testing.TB) []Revocation {
	return []Revocation{revokeMember("alice"), revokeCred("hq", digest(tb, policy.CredPIN, "1234")),
		{Member: "x", At: time.Unix(1, 5).UTC()}}
}

func TestRevocationCodecRejects(t *testing.T) {
	good := encodeRevocation(nil, &Revocation{Member: "alice", At: t0, Actor: "admin"})
	cases := map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("garbage"),
		"truncated": good[:len(good)-3],
		"trailing":  append(append([]byte{}, good...), 0),
		"oversize":  make([]byte, maxRecordSize+1),
		"bad type":  {codecVersion, 0, 0, 9},
	}
	for name, b := range cases {
		if _, err := decodeRevocation(b); err == nil {
			t.Errorf("%s: decodeRevocation accepted %q", name, b)
		}
	}
	for name, k := range map[string]string{"short": "r/c/\x01", "no prefix": "x/m/a", "empty member": "r/m/", "bad type": "r/c/\x09" + strings.Repeat("\x00", 32) + "hq"} {
		if _, err := parseRevocationKey([]byte(k)); err == nil {
			t.Errorf("%s: parseRevocationKey(%q) accepted", name, k)
		}
	}
	for _, r := range sampleRevocations(t) {
		got, err := decodeRevocation(encodeRevocation(nil, &r))
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("round trip of %+v = %+v, %v", r, got, err)
		}
		k, err := parseRevocationKey(revocationKeyBytes(r.Key()))
		if err != nil || k != r.Key() {
			t.Errorf("key round trip of %+v = %+v, %v", r.Key(), k, err)
		}
	}
}

// FuzzDecodeRevocation: a key and a value from disk. What decodes
// re-encodes to the same bytes' meaning.
func FuzzDecodeRevocation(f *testing.F) {
	for _, r := range sampleRevocations(f) {
		f.Add(revocationKeyBytes(r.Key()), encodeRevocation(nil, &r))
	}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		st := newState(&clockMark{})
		if err := st.loadRevocation(key, value); err != nil {
			return
		}
		for k, r := range st.revs {
			if r.Key() != k {
				t.Fatalf("loaded revocation %+v under key %+v", r, k)
			}
			again, err := decodeRevocation(encodeRevocation(nil, r))
			if err != nil || !reflect.DeepEqual(again, *r) {
				t.Fatalf("round trip: %+v, %v; want %+v", again, err, *r)
			}
		}
	})
}
