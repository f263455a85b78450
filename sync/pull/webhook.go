package pull

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/sync/nexudus"
)

// Paths of the Custom ACS endpoints.
const (
	PathWebhook      = "/nexudus/webhook"
	PathAccessGroups = "/nexudus/access-groups"
)

// Handler serves both Custom ACS endpoints under /nexudus/ (mount it on the
// http.nexudus_address listener, or on the main mux).
func (s *Syncer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(PathWebhook, s.WebhookHandler())
	mux.Handle(PathAccessGroups, s.AccessGroupsHandler())
	return mux
}

func bearerOK(r *http.Request, token string) bool {
	h := r.Header.Get("Authorization")
	v, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		v, ok = strings.CutPrefix(h, "bearer ")
	}
	return ok && subtle.ConstantTimeCompare([]byte(v), []byte(token)) == 1
}

// AccessGroupsHandler serves GET /nexudus/access-groups: the hub's keys as
// [{"id","name"}] (Q1), those of the domains following the business in
// X-Nexudus-Business-UniqueId when it names one, else every key of a
// Nexudus domain. It needs the bearer when Config.AccessGroupsToken is set.
func (s *Syncer) AccessGroupsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if s.cfg.AccessGroupsToken != "" && !bearerOK(r, s.cfg.AccessGroupsToken) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		doms := map[string]bool{}
		for _, d := range s.byBiz[strings.ToLower(r.Header.Get("X-Nexudus-Business-UniqueId"))] {
			doms[d.ID] = true
		}
		if len(doms) == 0 {
			for _, d := range s.cfg.Domains {
				doms[d.ID] = true
			}
		}
		type group struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		out := []group{}
		for _, a := range s.store.Accesses() {
			if !doms[a.Domain] {
				continue
			}
			name := a.Name
			if name == "" {
				name = a.ID
			}
			out = append(out, group{ID: a.ID, Name: name})
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(out)
	})
}

// WebhookHandler serves POST /nexudus/webhook (Q3–Q6, Q18): 204 once the
// change is committed, 400 for a body that does not decode (logged
// redacted), 401 for a bad bearer, 413 over 1 MiB, 503 with Retry-After when
// the store fails. It answers 404 when Config.WebhookToken is empty.
func (s *Syncer) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := s.serveWebhook(w, r)
		s.met.webhook.WithLabelValues(strconv.Itoa(code)).Inc()
	})
}

func (s *Syncer) serveWebhook(w http.ResponseWriter, r *http.Request) int {
	fail := func(code int, msg string) int {
		http.Error(w, msg, code)
		return code
	}
	switch {
	case s.cfg.WebhookToken == "":
		return fail(http.StatusNotFound, "webhook disabled")
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", "POST")
		return fail(http.StatusMethodNotAllowed, "method not allowed")
	case !bearerOK(r, s.cfg.WebhookToken):
		return fail(http.StatusUnauthorized, "unauthorized")
	}
	wh, err := nexudus.DecodeWebhook(r.Body, nexudus.DefaultWebhookLimit)
	if err != nil {
		if errors.Is(err, nexudus.ErrWebhookTooLarge) {
			s.log.Warn("nexudus webhook too large")
			return fail(http.StatusRequestEntityTooLarge, "body too large")
		}
		var we *nexudus.WebhookError
		var red []byte
		if errors.As(err, &we) {
			red = we.Redacted
		}
		s.log.Warn("nexudus webhook refused", "err", err, "body_redacted", string(red))
		return fail(http.StatusBadRequest, "malformed webhook")
	}
	if err := s.ApplyWebhook(r.Context(), wh); err != nil {
		s.log.Error("nexudus webhook not stored", "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
		return fail(http.StatusServiceUnavailable, "store unavailable")
	}
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}

// ApplyWebhook applies one decoded webhook: it replaces the webhook grants
// of that coworker and business with its groups (an empty list revokes),
// drops groups whose expires_on has passed (Q18), enforces the others as
// the grants' Until, cuts a group REST knows only from a booking back to
// that booking's end (§7), updates the member's credentials from the fields
// it carries (others kept from REST, Q2), and stores its time: an older
// webhook for the same (business, coworker) changes nothing.
func (s *Syncer) ApplyWebhook(ctx context.Context, wh *nexudus.Webhook) error {
	biz := strings.ToLower(wh.Business.UniqueID)
	doms := s.byBiz[biz]
	if len(doms) == 0 {
		s.log.Info("nexudus webhook for a business no domain follows", "business", wh.Business.UniqueID)
		return nil
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	cw := wh.Coworker.ID
	if cw == 0 && s.tables != nil {
		cw = s.tables.uniqueIDs[strings.ToLower(wh.Coworker.UniqueID)]
	}
	if cw == 0 {
		s.log.Warn("nexudus webhook for a coworker not known yet; the next REST pass covers it",
			"coworker_unique_id", wh.Coworker.UniqueID)
		return nil
	}
	cursor := webhookCursorPfx + biz + "/" + strconv.FormatInt(cw, 10)
	if v, ok := s.store.Cursor(cursor); ok {
		if last, err := time.Parse(time.RFC3339Nano, v); err == nil && wh.Time.Before(last) {
			s.log.Debug("nexudus webhook older than the last applied one: dropped", "coworker", cw)
			return nil
		}
	}
	now := s.now()
	acc := map[string]policy.Access{}
	for _, a := range s.store.Accesses() {
		acc[a.ID] = a
	}
	inDomain := map[string]bool{}
	for _, d := range doms {
		inDomain[d.ID] = true
	}
	ch := &Change{}
	want := map[policy.GrantKey]policy.Grant{}
	for _, g := range wh.Groups {
		a, ok := acc[g]
		if !ok || !inDomain[a.Domain] {
			s.reportUnknown(g)
			continue
		}
		until, _ := wh.Expiry(g)
		if !until.IsZero() && !until.After(now) {
			continue // late webhook: already expired (Q18)
		}
		k := policy.GrantKey{Origin: policy.OriginWebhook, Kind: policy.KindGroup, Reference: webhookPrefix(biz, cw) + g}
		want[k] = policy.Grant{GrantKey: k, Member: MemberID(a.Domain, cw), Access: g, Until: until}
	}
	for _, e := range wh.Schedule {
		if _, ok := wh.Expiry(e.Group); ok && !containsString(wh.Groups, e.Group) {
			s.log.Info("nexudus webhook schedule names a group not in its groups: ignored", "group", e.Group)
		}
	}
	prefix := webhookPrefix(biz, cw)
	for _, d := range doms {
		id := MemberID(d.ID, cw)
		stored := s.store.Grants(id)
		for i := range stored {
			g := &stored[i]
			if g.Origin != policy.OriginWebhook || !strings.HasPrefix(g.Reference, prefix) {
				continue
			}
			if _, keep := want[g.GrantKey]; !keep {
				ch.Deletes = append(ch.Deletes, g.GrantKey)
			}
		}
		for _, g := range want {
			if g.Member != id {
				continue
			}
			if until, cut := cutBack(&g, restOnly(stored), now); cut {
				g.Until = until
			}
			ch.Puts = append(ch.Puts, g)
		}
		if mp, ok := s.webhookMember(d, cw, wh); ok {
			ch.Members = append(ch.Members, mp)
		}
	}
	ch.setCursor(cursor, wh.Time.UTC().Format(time.RFC3339Nano))
	if err := s.store.Apply(ctx, ch); err != nil {
		return fmt.Errorf("apply webhook: %w", err)
	}
	return nil
}

func restOnly(gs []policy.Grant) []policy.Grant {
	var out []policy.Grant
	for _, g := range gs {
		if g.Origin == policy.OriginNexudusREST {
			out = append(out, g)
		}
	}
	return out
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// webhookMember merges the webhook's coworker fields into the stored member
// (Q2): a credential type the webhook carries replaces the stored ones of
// that type; types it omits keep what REST stored. A member not known yet is
// created active.
func (s *Syncer) webhookMember(d Domain, cw int64, wh *nexudus.Webhook) (MemberPut, bool) {
	id := MemberID(d.ID, cw)
	m, creds, known := s.store.Member(id)
	if !known {
		m = policy.Member{ID: id, Domain: d.ID, Status: policy.StatusActive, Origin: policy.OriginWebhook}
	}
	c := wh.Coworker
	changed := !known
	if c.FullName != "" && c.FullName != m.Name {
		m.Name, changed = c.FullName, true
	}
	if c.Email != "" && c.Email != m.Email {
		m.Email, changed = c.Email, true
	}
	replace := func(t policy.CredentialType, raws []string) {
		if len(raws) == 0 {
			return
		}
		var next []policy.Credential
		for _, cr := range creds {
			if cr.Type != t {
				next = append(next, cr)
			}
		}
		for _, raw := range raws {
			cr, err := s.digest(t, raw)
			if err != nil {
				s.reportCredential(id, t, err)
				continue
			}
			next = append(next, cr)
		}
		if !sameCreds(next, creds) {
			creds, changed = next, true
		}
	}
	replace(policy.CredCard, wh.Cards())
	if c.KeyFobNumber != "" {
		replace(policy.CredFob, []string{c.KeyFobNumber})
	}
	if c.AccessPincode != "" {
		replace(policy.CredPIN, []string{c.AccessPincode})
	}
	if !changed {
		return MemberPut{}, false
	}
	return MemberPut{Member: m, Credentials: creds}, true
}

func sameCreds(a, b []policy.Credential) bool {
	if len(a) != len(b) {
		return false
	}
	for _, c := range a {
		found := false
		for _, d := range b {
			found = found || c == d
		}
		if !found {
			return false
		}
	}
	return true
}
