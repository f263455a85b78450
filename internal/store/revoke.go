package store

import (
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// Revocation is a local emergency revoke made by an admin on the hub: of a
// member (Member set), or of one credential in a domain (Domain and
// Credential set: a lost card). It is a record of its own, not a member
// status, so no Nexudus sync, webhook or config reload overwrites it; only
// DeleteRevocation lifts it. The view applies it: a revoked member reads as
// suspended (policy.ReasonMemberInactive), a revoked credential has no
// holder (policy.ReasonUnknownCredential).
type Revocation struct {
	Member     string
	Domain     string
	Credential policy.Credential
	At         time.Time // when it was made
	Actor      string    // who made it
	Note       string    // free text from the admin (never a credential)
}

// RevocationKey identifies a revocation: a member id, or a (domain,
// credential type, digest).
type RevocationKey struct {
	Member     string
	Domain     string
	Credential policy.Credential
}

// Key returns the revocation's key.
func (r *Revocation) Key() RevocationKey {
	if r.Member != "" {
		return RevocationKey{Member: r.Member}
	}
	return RevocationKey{Domain: r.Domain, Credential: r.Credential}
}

// mixed reports a revocation naming both a member and a credential.
func (r *Revocation) mixed() bool {
	return r.Member != "" && (r.Domain != "" || r.Credential != (policy.Credential{}))
}

// IsMember reports whether the key names a member.
func (k RevocationKey) IsMember() bool { return k.Member != "" }

// Revocation id forms (ParseRevocationID is the inverse of String):
//
//	member:<member id>
//	credential:<type>:<64 hex digits of the digest>:<domain id>
const (
	revIDMember     = "member:"
	revIDCredential = "credential:"
)

// String returns the key's id, as the admin API shows it. It holds the
// keyed digest of a credential, never its value.
func (k RevocationKey) String() string {
	if k.IsMember() {
		return revIDMember + k.Member
	}
	return revIDCredential + k.Credential.Type.String() + ":" + hex.EncodeToString(k.Credential.Digest[:]) + ":" + k.Domain
}

// ErrBadRevocationID is returned by ParseRevocationID.
var ErrBadRevocationID = errors.New("bad revocation id")

// ParseRevocationID parses a RevocationKey.String value.
func ParseRevocationID(id string) (RevocationKey, error) {
	if m, ok := strings.CutPrefix(id, revIDMember); ok {
		if m == "" || len(m) > maxStringLen {
			return RevocationKey{}, fmt.Errorf("%w: member id of %d bytes", ErrBadRevocationID, len(m))
		}
		return RevocationKey{Member: m}, nil
	}
	rest, ok := strings.CutPrefix(id, revIDCredential)
	if !ok {
		return RevocationKey{}, fmt.Errorf("%w: want member:<id> or credential:<type>:<digest>:<domain>", ErrBadRevocationID)
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 || parts[2] == "" || len(parts[2]) > maxStringLen {
		return RevocationKey{}, fmt.Errorf("%w: want credential:<type>:<digest>:<domain>", ErrBadRevocationID)
	}
	t, err := policy.ParseCredentialType(parts[0])
	if err != nil {
		return RevocationKey{}, fmt.Errorf("%w: %w", ErrBadRevocationID, err)
	}
	var k RevocationKey
	k.Domain, k.Credential.Type = parts[2], t
	if len(parts[1]) != 2*policy.DigestSize {
		return RevocationKey{}, fmt.Errorf("%w: digest must be %d hex digits", ErrBadRevocationID, 2*policy.DigestSize)
	}
	if _, err := hex.Decode(k.Credential.Digest[:], []byte(parts[1])); err != nil {
		return RevocationKey{}, fmt.Errorf("%w: digest is not hex", ErrBadRevocationID)
	}
	return k, nil
}

func (k RevocationKey) check() error {
	if k.IsMember() {
		if k.Domain != "" || k.Credential != (policy.Credential{}) {
			return errors.New("revocation names both a member and a credential")
		}
		return checkID("revoked member", k.Member)
	}
	if k.Credential.Type == policy.CredUnknown || byte(k.Credential.Type) > maxCredType {
		return fmt.Errorf("revoked credential: invalid type %d", k.Credential.Type)
	}
	return checkID("revoked credential domain", k.Domain)
}

// Badger keys of revocations:
//
//	r/m/<member id>
//	r/c/<type:1><digest:32><domain id>
const (
	pfxRevocation = "r/"
	pfxRevMember  = "r/m/"
	pfxRevCred    = "r/c/"
)

func revocationKeyBytes(k RevocationKey) []byte {
	if k.IsMember() {
		return []byte(pfxRevMember + k.Member)
	}
	b := make([]byte, 0, len(pfxRevCred)+1+policy.DigestSize+len(k.Domain))
	b = append(b, pfxRevCred...)
	b = append(b, byte(k.Credential.Type))
	b = append(b, k.Credential.Digest[:]...)
	return append(b, k.Domain...)
}

func parseRevocationKey(key []byte) (RevocationKey, error) {
	s := string(key)
	if m, ok := strings.CutPrefix(s, pfxRevMember); ok {
		k := RevocationKey{Member: m}
		return k, k.check()
	}
	rest, ok := strings.CutPrefix(s, pfxRevCred)
	if !ok || len(rest) < 1+policy.DigestSize+1 {
		return RevocationKey{}, errors.New("bad revocation key")
	}
	var k RevocationKey
	k.Credential.Type = policy.CredentialType(rest[0])
	copy(k.Credential.Digest[:], rest[1:1+policy.DigestSize])
	k.Domain = rest[1+policy.DigestSize:]
	return k, k.check()
}

func encodeRevocation(b []byte, r *Revocation) []byte {
	e := newEncoder(b)
	e.string(r.Member)
	e.string(r.Domain)
	e.byte(byte(r.Credential.Type))
	e.b = append(e.b, r.Credential.Digest[:]...)
	e.time(r.At)
	e.string(r.Actor)
	e.string(r.Note)
	return e.b
}

func decodeRevocation(b []byte) (r Revocation, err error) {
	d := newDecoder(b)
	r.Member = d.string()
	r.Domain = d.string()
	r.Credential.Type = policy.CredentialType(d.enum(maxCredType))
	copy(r.Credential.Digest[:], d.bytes(policy.DigestSize))
	r.At = d.time()
	r.Actor = d.string()
	r.Note = d.string()
	return r, d.finish("revocation")
}

// loadRevocation reads one stored revocation into the state being loaded.
func (st *state) loadRevocation(key, v []byte) error {
	k, err := parseRevocationKey(key)
	if err != nil {
		return err
	}
	r, err := decodeRevocation(v)
	if err != nil {
		return err
	}
	if r.Key() != k || r.mixed() {
		return errors.New("revocation does not match its key")
	}
	st.setRevocation(k, &r)
	return nil
}

// setRevocation puts (or, with nil, removes) a revocation in a state being
// built; finishRevocations then derives the suspended members.
func (st *state) setRevocation(k RevocationKey, r *Revocation) {
	if st.revs == nil {
		st.revs = map[RevocationKey]*Revocation{}
	}
	if r == nil {
		delete(st.revs, k)
		return
	}
	st.revs[k] = r
}

// finishRevocations builds the suspended view of every revoked member that
// exists (after load).
func (st *state) finishRevocations() {
	for k := range st.revs {
		if !k.IsMember() {
			continue
		}
		if m := st.memberRecord(k.Member); m != nil {
			if st.suspended == nil {
				st.suspended = map[string]*policy.Member{}
			}
			st.suspended[k.Member] = suspendedCopy(m)
		}
	}
}

// memberRecord returns the member as stored, ignoring revocations.
func (st *state) memberRecord(id string) *policy.Member {
	if e := st.members[id]; e != nil {
		return e.m
	}
	return nil
}

func suspendedCopy(m *policy.Member) *policy.Member {
	c := *m
	c.Status = policy.StatusSuspended
	return &c
}

// revoked reports whether a credential is revoked in the domain. It does not
// allocate.
func (st *state) revokedCredential(domain string, c policy.Credential) bool {
	if len(st.revs) == 0 {
		return false
	}
	_, ok := st.revs[RevocationKey{Domain: domain, Credential: c}]
	return ok
}

// PutRevocation adds or replaces a revocation. Its At must be set.
func (b *Batch) PutRevocation(r Revocation) {
	b.ops++
	k := r.Key()
	err := errors.Join(k.check(), checkString("revocation actor", r.Actor), checkString("revocation note", r.Note))
	if r.At.IsZero() {
		err = errors.Join(err, errors.New("revocation: no time"))
	}
	if r.mixed() {
		err = errors.Join(err, errors.New("revocation names both a member and a credential"))
	}
	if err != nil {
		b.fail(fmt.Errorf("put revocation: %w", err))
		return
	}
	r.At = r.At.UTC()
	if b.revokes == nil {
		b.revokes = map[RevocationKey]*Revocation{}
	}
	b.revokes[k] = &r
}

// DeleteRevocation lifts a revocation (none stored: no effect).
func (b *Batch) DeleteRevocation(k RevocationKey) {
	b.ops++
	if err := k.check(); err != nil {
		b.fail(fmt.Errorf("delete revocation: %w", err))
		return
	}
	if b.revokes == nil {
		b.revokes = map[RevocationKey]*Revocation{}
	}
	b.revokes[k] = nil
}

// revocations adds the batch's revocation changes to the delta, and the
// changes of the suspended view of every member whose record or revocation
// the batch changes. It runs after members().
func (r *resolver) revocations() {
	cur, d := r.cur, r.d
	ids := map[string]struct{}{}
	for id := range r.finals {
		ids[id] = struct{}{}
	}
	for k, v := range r.b.revokes {
		d.revs[k] = v
		if k.IsMember() {
			ids[k.Member] = struct{}{}
		}
		if v == nil {
			r.kvs = append(r.kvs, kv{key: revocationKeyBytes(k), del: true})
		} else {
			r.kvs = append(r.kvs, kv{key: revocationKeyBytes(k), value: encodeRevocation(nil, v)})
		}
	}
	for id := range ids {
		k := RevocationKey{Member: id}
		_, revoked := cur.revs[k]
		if v, ok := r.b.revokes[k]; ok {
			revoked = v != nil
		}
		m := cur.memberRecord(id)
		if fm, ok := r.finals[id]; ok {
			m = fm
		}
		switch {
		case revoked && m != nil:
			d.suspended[id] = suspendedCopy(m)
		case cur.suspended[id] != nil:
			d.suspended[id] = nil
		}
	}
}

// Revocations returns every revocation, members first, each group sorted by
// id.
func (s *Store) Revocations() []Revocation {
	s.mu.RLock()
	out := make([]Revocation, 0, len(s.st.revs))
	for _, r := range s.st.revs {
		out = append(out, *r)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Revocation) int {
		ka, kb := a.Key(), b.Key()
		if c := cmp.Compare(btoi(!ka.IsMember()), btoi(!kb.IsMember())); c != 0 {
			return c
		}
		return cmp.Compare(ka.String(), kb.String())
	})
	return out
}

// Revocation returns the revocation with key k.
func (s *Store) Revocation(k RevocationKey) (Revocation, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.st.revs[k]
	if r == nil {
		return Revocation{}, false
	}
	return *r, true
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
