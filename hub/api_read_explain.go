package hub

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// ExplainResult is the explainer's answer, on the page and from
// /api/explain: the decision and every candidate grant with its reason. A
// credential asked about appears as its type only ("card ••••").
type ExplainResult struct {
	Lock         string          `json:"lock"`
	LockName     string          `json:"lock_name,omitempty"`
	At           time.Time       `json:"at"`
	Asked        string          `json:"asked"` // "member alice" or "card ••••"
	Member       string          `json:"member,omitempty"`
	MemberName   string          `json:"member_name,omitempty"`
	MemberStatus string          `json:"member_status,omitempty"`
	Allowed      bool            `json:"allowed"`
	Reason       string          `json:"reason"`
	Grant        string          `json:"grant,omitempty"`
	Access       string          `json:"access,omitempty"`
	Candidates   []CandidateView `json:"candidates"`
}

// CandidateView is one grant the explainer considered.
type CandidateView struct {
	Grant      string    `json:"grant"` // origin/kind/reference
	Access     string    `json:"access"`
	AccessName string    `json:"access_name,omitempty"`
	From       time.Time `json:"from"`  // zero: since ever
	Until      time.Time `json:"until"` // zero: open-ended
	Reason     string    `json:"reason"`
}

// explainQuery is a parsed explainer request. value is the raw credential:
// it goes to the digest and nowhere else.
type explainQuery struct {
	lock, member string
	typ          policy.CredentialType
	value        string
	at           time.Time
}

// maxExplainParam bounds each explainer parameter.
const maxExplainParam = 256

var errExplainUsage = errors.New("want lock and either member or type (card, fob, pin, phone) with value")

// parseExplain reads lock, member or type+value, and at (RFC 3339, or
// YYYY-MM-DDTHH:MM from an HTML datetime-local field, read in loc; empty
// means now). Errors never repeat the value.
func parseExplain(q url.Values, now time.Time, loc *time.Location) (explainQuery, error) {
	for k, vs := range q {
		for _, v := range vs {
			if len(v) > maxExplainParam {
				return explainQuery{}, fmt.Errorf("parameter %q is longer than %d bytes", shortKey(k), maxExplainParam)
			}
		}
	}
	eq := explainQuery{
		lock:   strings.TrimSpace(q.Get("lock")),
		member: strings.TrimSpace(q.Get("member")),
		value:  q.Get("value"),
		at:     now,
	}
	if eq.lock == "" || len(eq.lock) > maxIDLen || len(eq.member) > maxReferenceLen {
		return explainQuery{}, errExplainUsage
	}
	hasValue := strings.TrimSpace(eq.value) != ""
	if (eq.member == "") == !hasValue {
		return explainQuery{}, errExplainUsage
	}
	if hasValue {
		t, err := policy.ParseCredentialType(strings.TrimSpace(q.Get("type")))
		if err != nil {
			return explainQuery{}, errExplainUsage
		}
		eq.typ = t
	}
	if s := strings.TrimSpace(q.Get("at")); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t, err = time.ParseInLocation("2006-01-02T15:04", s, loc)
		}
		if err != nil {
			return explainQuery{}, errors.New("at: want RFC 3339 (2026-11-23T09:00:00+01:00) or YYYY-MM-DDTHH:MM")
		}
		eq.at = t
	}
	return eq, nil
}

func shortKey(k string) string {
	if len(k) > 32 {
		return k[:32] + "..."
	}
	return k
}

// explain answers eq from the live store, the engine `lockhub explain` uses.
func (h *Hub) explain(eq explainQuery) (ExplainResult, error) {
	req := policy.Request{Lock: eq.lock, Member: eq.member}
	res := ExplainResult{Lock: eq.lock, At: eq.at, Asked: "member " + eq.member}
	if eq.member == "" {
		c, err := h.keys.Digest(eq.typ, eq.value)
		if err != nil {
			return ExplainResult{}, fmt.Errorf("value is not a valid %s", eq.typ)
		}
		req.Credential = c
		res.Asked = eq.typ.String() + " ••••"
	}
	ex := h.store.Explain(eq.at, req)
	res.Allowed, res.Reason = ex.Decision.Allowed(), ex.Decision.Reason.String()
	if ex.Decision.Grant.Reference != "" {
		res.Grant, res.Access = ex.Decision.Grant.String(), ex.Decision.Access
	}
	if ex.Lock != nil {
		res.LockName = ex.Lock.Name
	}
	if ex.Member != nil {
		res.Member, res.MemberName, res.MemberStatus = ex.Member.ID, ex.Member.Name, ex.Member.Status.String()
	} else if ex.Decision.Member != "" {
		res.Member = ex.Decision.Member
	}
	res.Candidates = []CandidateView{}
	for _, c := range ex.Candidates {
		res.Candidates = append(res.Candidates, CandidateView{Grant: c.Grant.GrantKey.String(), Access: c.Grant.Access,
			AccessName: c.AccessName, From: c.Grant.From, Until: c.Grant.Until, Reason: c.Reason.String()})
	}
	return res, nil
}
