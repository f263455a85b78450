package hub

import (
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/policy"
)

// revokeBody names what to revoke or unrevoke: {"id"} (unrevoke only), or
// {"member"} alone, or a credential {"type", "value"} with its "domain" or
// its holder's "member" (whose domain is used). The value is digested at
// once and never stored, logged or answered.
type revokeBody struct {
	ID     string `json:"id"`
	Member string `json:"member"`
	Domain string `json:"domain"`
	Type   string `json:"type"`
	Value  string `json:"value"`
	Note   string `json:"note"`
}

// key resolves the body to a revocation key.
func (h *Hub) revocationKey(b *revokeBody, allowID bool) (store.RevocationKey, error) {
	if b.ID != "" {
		if !allowID || b.Member != "" || b.Domain != "" || b.Type != "" || b.Value != "" {
			return store.RevocationKey{}, errorf(http.StatusBadRequest, "give id alone")
		}
		k, err := store.ParseRevocationID(b.ID)
		if err != nil {
			return k, errorf(http.StatusBadRequest, "id: %v", err)
		}
		return k, nil
	}
	var m policy.Member
	var memberOK, domainOK bool
	h.store.View(func(v policy.View) {
		if p := v.Member(b.Member); p != nil {
			m, memberOK = *p, true
		}
		domainOK = v.Domain(b.Domain) != nil
	})
	if b.Type == "" && b.Value == "" {
		if b.Member == "" || b.Domain != "" {
			return store.RevocationKey{}, errorf(http.StatusBadRequest, `want {"member": id} or a credential {"type", "value", "domain" or "member"}`)
		}
		if !memberOK {
			return store.RevocationKey{}, errorf(http.StatusNotFound, "unknown member %q", b.Member)
		}
		return store.RevocationKey{Member: b.Member}, nil
	}
	t, err := policy.ParseCredentialType(b.Type)
	if err != nil || b.Value == "" {
		return store.RevocationKey{}, errorf(http.StatusBadRequest, `type: want card, fob, pin or phone, with a value`)
	}
	domain := b.Domain
	switch {
	case b.Member != "" && !memberOK:
		return store.RevocationKey{}, errorf(http.StatusNotFound, "unknown member %q", b.Member)
	case b.Member != "" && domain != "" && domain != m.Domain:
		return store.RevocationKey{}, errorf(http.StatusBadRequest, "member %q is in domain %q, not %q", b.Member, m.Domain, domain)
	case b.Member != "":
		domain = m.Domain
	case domain == "":
		return store.RevocationKey{}, errorf(http.StatusBadRequest, "a credential needs its domain or its member")
	case !domainOK:
		return store.RevocationKey{}, errorf(http.StatusNotFound, "unknown domain %q", domain)
	}
	c, err := h.keys.Digest(t, b.Value)
	if err != nil {
		// Canonicalisation errors never repeat the value.
		return store.RevocationKey{}, errorf(http.StatusBadRequest, "value: %v", err)
	}
	return store.RevocationKey{Domain: domain, Credential: c}, nil
}

// credentialRef names a credential in audit events: type and a digest
// prefix, never the value.
func credentialRef(c policy.Credential) string {
	return c.Type.String() + ":" + hex.EncodeToString(c.Digest[:4])
}

func (h *Hub) auditRevocation(r *http.Request, action, actor string, k store.RevocationKey) error {
	ev := adminEvent{Action: action, Actor: actor, Member: k.Member, Domain: k.Domain}
	if k.IsMember() {
		if m, _, ok := h.store.Member(k.Member); ok {
			ev.Domain = m.Domain
		}
		ev.Action += "_member"
	} else {
		ev.CredentialRef = credentialRef(k.Credential)
		ev.Action += "_credential"
	}
	return h.recordAdmin(r.Context(), ev)
}

// RevocationResponse answers revoke and unrevoke.
type RevocationResponse struct {
	Revocation RevocationJSON `json:"revocation"`
}

// revoke makes a local emergency revocation: it needs no Nexudus, and no
// sync or reload lifts it.
func (h *Hub) revoke(r *http.Request, actor string) (int, any, error) {
	var b revokeBody
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	if len(b.Note) > 1024 {
		return 0, nil, errorf(http.StatusBadRequest, "note: at most 1024 bytes")
	}
	k, err := h.revocationKey(&b, false)
	if err != nil {
		return 0, nil, err
	}
	rev := store.Revocation{Member: k.Member, Domain: k.Domain, Credential: k.Credential, At: h.now(), Actor: actor, Note: b.Note}
	batch := store.NewBatch()
	batch.PutRevocation(rev)
	if err := h.store.Apply(r.Context(), batch); err != nil {
		return 0, nil, err
	}
	if err := h.auditRevocation(r, "revoke", actor, k); err != nil {
		return 0, nil, err
	}
	stored, _ := h.store.Revocation(k)
	h.relayRevocation(stored, false)
	h.log.Info("revoked", "kind", revocationJSON(&stored).Kind, "member", k.Member, "domain", k.Domain, "actor", actor)
	return http.StatusCreated, RevocationResponse{Revocation: revocationJSON(&stored)}, nil
}

func (h *Hub) unrevoke(r *http.Request, actor string) (int, any, error) {
	var b revokeBody
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	k, err := h.revocationKey(&b, true)
	var he *httpError
	if errors.As(err, &he) && he.status == http.StatusNotFound && b.Member != "" && b.Type == "" {
		// A member deleted since: its revocation can still be lifted.
		k, err = store.RevocationKey{Member: b.Member}, nil
	}
	if err != nil {
		return 0, nil, err
	}
	rev, ok := h.store.Revocation(k)
	if !ok {
		return 0, nil, errorf(http.StatusNotFound, "no such revocation")
	}
	batch := store.NewBatch()
	batch.DeleteRevocation(k)
	if err := h.store.Apply(r.Context(), batch); err != nil {
		return 0, nil, err
	}
	if err := h.auditRevocation(r, "unrevoke", actor, k); err != nil {
		return 0, nil, err
	}
	h.relayRevocation(rev, true)
	h.log.Info("revocation lifted", "member", k.Member, "domain", k.Domain, "actor", actor)
	return http.StatusOK, RevocationResponse{Revocation: revocationJSON(&rev)}, nil
}

// RevocationsResponse answers GET /api/admin/revocations.
type RevocationsResponse struct {
	Revocations []RevocationJSON `json:"revocations"`
}

func (h *Hub) listRevocations(*http.Request, string) (int, any, error) {
	list := h.store.Revocations()
	out := RevocationsResponse{Revocations: make([]RevocationJSON, 0, len(list))}
	for i := range list {
		out.Revocations = append(out.Revocations, revocationJSON(&list[i]))
	}
	return http.StatusOK, out, nil
}
