package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lockhub/lockhub/policy"
)

// Client calls a running hub's HTTP API for the CLI (Badger locks the data
// directory of a running hub, so the CLI cannot read it).
type Client struct {
	// BaseURL is the hub's HTTP address, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Token is sent as "Authorization: Bearer <token>".
	Token string
	// Actor names the admin in audit events (X-Lockhub-Actor); empty: "admin".
	Actor string
	// HTTP is the client used; nil means one without a timeout (a backup
	// may take long), bounded by the context.
	HTTP *http.Client
}

func (c *Client) do(ctx context.Context, method, path string, query url.Values, body any) (*http.Response, error) {
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/") + path)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bad hub url %q: want http(s)://host:port", c.BaseURL)
	}
	if query != nil {
		u.RawQuery = query.Encode()
	}
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case url.Values: // a form body
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.Actor != "" {
		req.Header.Set(ActorHeader, c.Actor)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ask the hub: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		var e apiError
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		return nil, fmt.Errorf("hub answered %s: %s", resp.Status, e.Error)
	}
	return resp, nil
}

func (c *Client) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	resp, err := c.do(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(out); err != nil {
		return fmt.Errorf("decode the hub's answer: %w", err)
	}
	return nil
}

// ProvisionLock adds an admin lock and returns its one-time secret.
func (c *Client) ProvisionLock(ctx context.Context, id, domain, name, failMode string) (ProvisionResponse, error) {
	var out ProvisionResponse
	err := c.call(ctx, http.MethodPost, "/api/admin/locks", nil,
		map[string]string{"id": id, "domain": domain, "name": name, "fail_mode": failMode}, &out)
	return out, err
}

// RotateLock raises an admin lock's key generation and returns the new
// secret.
func (c *Client) RotateLock(ctx context.Context, id string) (ProvisionResponse, error) {
	var out ProvisionResponse
	err := c.call(ctx, http.MethodPost, "/api/admin/locks/"+url.PathEscape(id)+"/rotate", nil, struct{}{}, &out)
	return out, err
}

// Backup streams an encrypted archive of the hub to w. iterations 0 means
// the hub's default.
func (c *Client) Backup(ctx context.Context, w io.Writer, passphrase string, iterations int) error {
	resp, err := c.do(ctx, http.MethodPost, "/api/admin/backup", nil,
		map[string]any{"passphrase": passphrase, "iterations": iterations})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("receive backup: %w", err)
	}
	return nil
}

// explanation converts the read API's answer back to a policy.Explanation
// for printing (the grants' member is the decision's).
func (r *ExplainResult) explanation() (policy.Explanation, error) {
	var ex policy.Explanation
	var err error
	if ex.Decision.Reason, err = policy.ParseReason(r.Reason); err != nil {
		return ex, fmt.Errorf("explain answer: %w", err)
	}
	ex.Decision.Member, ex.Decision.Access = r.Member, r.Access
	if r.Grant != "" {
		if ex.Decision.Grant, err = parseGrantKey(r.Grant); err != nil {
			return ex, fmt.Errorf("explain answer: %w", err)
		}
	}
	if r.Member != "" && r.MemberStatus != "" {
		st, err := policy.ParseMemberStatus(r.MemberStatus)
		if err != nil {
			return ex, fmt.Errorf("explain answer: %w", err)
		}
		ex.Member = &policy.Member{ID: r.Member, Name: r.MemberName, Status: st}
	}
	for _, c := range r.Candidates {
		k, err := parseGrantKey(c.Grant)
		if err != nil {
			return ex, fmt.Errorf("explain answer: %w", err)
		}
		reason, err := policy.ParseReason(c.Reason)
		if err != nil {
			return ex, fmt.Errorf("explain answer: %w", err)
		}
		g := policy.Grant{GrantKey: k, Access: c.Access, Member: r.Member, From: c.From, Until: c.Until}
		ex.Candidates = append(ex.Candidates, policy.Candidate{Grant: g, AccessName: c.AccessName, Reason: reason})
	}
	return ex, nil
}

// parseGrantKey reads a policy.GrantKey's String form: origin/kind/reference
// (the reference may itself contain slashes).
func parseGrantKey(s string) (policy.GrantKey, error) {
	o, rest, ok1 := strings.Cut(s, "/")
	k, ref, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 {
		return policy.GrantKey{}, fmt.Errorf("grant %q: want origin/kind/reference", s)
	}
	origin, err1 := policy.ParseOrigin(o)
	kind, err2 := policy.ParseGrantKind(k)
	return policy.GrantKey{Origin: origin, Kind: kind, Reference: ref}, errors.Join(err1, err2)
}

// Explain asks a running hub's explainer (POST /api/explain: the credential
// goes in the body, never in the address).
func (c *Client) Explain(ctx context.Context, q ExplainQuery) (policy.Explanation, error) {
	v := url.Values{"lock": {q.Lock}}
	if q.Member != "" {
		v.Set("member", q.Member)
	} else {
		v.Set("type", q.Type.String())
		v.Set("value", q.Value)
	}
	if !q.At.IsZero() {
		v.Set("at", q.At.Format(time.RFC3339Nano))
	}
	var r ExplainResult
	if err := c.call(ctx, http.MethodPost, "/api/explain", nil, v, &r); err != nil {
		return policy.Explanation{}, err
	}
	return r.explanation()
}
