package nexudus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultWebhookLimit is the largest webhook body accepted (Q5: 1 MiB).
const DefaultWebhookLimit = 1 << 20

// Webhook decoding outcomes: the HTTP layer answers 413 for the first and 400
// for the second (Q5). Every error from DecodeWebhook is a *WebhookError
// matching exactly one of them.
var (
	ErrWebhookTooLarge  = errors.New("nexudus webhook: body too large")
	ErrWebhookMalformed = errors.New("nexudus webhook: malformed body")
)

// WebhookError says why a body was refused. Field names the JSON key at
// fault, if any; Redacted is the body with secrets removed when it was JSON
// (see RedactJSON), for logs and alerts.
type WebhookError struct {
	TooLarge bool
	Field    string
	Reason   string
	Redacted []byte
}

func (e *WebhookError) Error() string {
	if e.TooLarge {
		return "nexudus webhook: " + e.Reason
	}
	if e.Field != "" {
		return fmt.Sprintf("nexudus webhook: %s: %s", e.Field, e.Reason)
	}
	return "nexudus webhook: " + e.Reason
}

// Is matches ErrWebhookTooLarge or ErrWebhookMalformed.
func (e *WebhookError) Is(target error) bool {
	if e.TooLarge {
		return target == ErrWebhookTooLarge
	}
	return target == ErrWebhookMalformed
}

// Webhook is a decoded Custom ACS "Access Control Update" notification
// (nexudus.md §2). Groups is the customer's full set of access groups in
// that business, not a delta (Q3): empty means revoke everything.
type Webhook struct {
	Time     time.Time // when Nexudus generated it, UTC
	Business WebhookBusiness
	Coworker WebhookCoworker
	// Groups is deduplicated and sorted; never nil after a successful decode.
	Groups []string
	// Schedule is as sent: a per-group expiry. Entries for groups not in
	// Groups are kept here; the caller ignores and logs them (Q4).
	Schedule []ScheduleEntry

	redacted []byte
}

// WebhookBusiness identifies the location; UniqueID is the stable key (Q16).
type WebhookBusiness struct {
	ID       int64
	Name     string
	UniqueID string
}

// WebhookCoworker is the customer; UniqueID is the stable key. The
// credential fields and Email are secrets: never log them.
type WebhookCoworker struct {
	ID            int64
	UniqueID      string
	Email         string
	FullName      string
	AccessPincode string
	AccessCardID  string
	KeyFobNumber  string
}

// ScheduleEntry is one group's expiry.
type ScheduleEntry struct {
	Group     string
	ExpiresOn time.Time // UTC
}

// Expiry returns the schedule's expiry for group, if it has one.
func (w *Webhook) Expiry(group string) (time.Time, bool) {
	for _, e := range w.Schedule {
		if e.Group == group {
			return e.ExpiresOn, true
		}
	}
	return time.Time{}, false
}

// Cards splits the coworker's card field into tokens (Q12).
func (w *Webhook) Cards() []string { return SplitCards(w.Coworker.AccessCardID) }

// Redacted returns a copy of the body with every PIN, card, fob and email
// value replaced by "[redacted]" (see RedactJSON).
func (w *Webhook) Redacted() []byte { return bytes.Clone(w.redacted) }

// DecodeWebhook reads and decodes one webhook body of at most limit bytes
// (DefaultWebhookLimit when limit ≤ 0). Key spellings are tolerant (Q2):
// matching ignores case, "_" and "-", and the coworker's card may be
// accessCardId, accessCard or cardId, the fob keyFobNumber or fob, the name
// fullName or name. Required: time, business.uniqueId, coworker.uniqueId and
// groups (an array, possibly empty; null counts as empty).
func DecodeWebhook(r io.Reader, limit int64) (*Webhook, error) {
	if limit <= 0 {
		limit = DefaultWebhookLimit
	}
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(body)) > limit {
		return nil, &WebhookError{TooLarge: true, Reason: fmt.Sprintf("body exceeds %d bytes", limit)}
	}
	if err != nil {
		return nil, &WebhookError{Reason: "read body: " + err.Error()}
	}
	redacted, rerr := RedactJSON(body)
	bad := func(field, reason string) (*Webhook, error) {
		return nil, &WebhookError{Field: field, Reason: reason, Redacted: redacted}
	}
	if rerr != nil {
		return bad("", "not JSON")
	}
	top, ok := objectOf(body)
	if !ok {
		return bad("", "want a JSON object")
	}
	w := &Webhook{redacted: redacted}

	ts, err := top.str("time")
	if err != nil {
		return bad("time", err.Error())
	}
	t, err := ParseTime(ts)
	if err != nil || t.IsZero() {
		return bad("time", "want an ISO-8601 timestamp")
	}
	w.Time = t.Instant(TimeModeUTC, time.UTC).UTC()

	biz, ok := top.object("business")
	if !ok {
		return bad("business", "want an object")
	}
	if w.Business.ID, err = biz.int("id"); err != nil {
		return bad("business.id", err.Error())
	}
	if w.Business.Name, err = biz.str("name"); err != nil {
		return bad("business.name", err.Error())
	}
	if w.Business.UniqueID, err = biz.str("uniqueid"); err != nil || w.Business.UniqueID == "" {
		return bad("business.uniqueId", "required string")
	}

	cw, ok := top.object("coworker")
	if !ok {
		return bad("coworker", "want an object")
	}
	c := &w.Coworker
	if c.ID, err = cw.int("id"); err != nil {
		return bad("coworker.id", err.Error())
	}
	if c.UniqueID, err = cw.str("uniqueid"); err != nil || c.UniqueID == "" {
		return bad("coworker.uniqueId", "required string")
	}
	for _, f := range []struct {
		dst     *string
		name    string
		aliases []string
	}{
		{&c.Email, "coworker.email", []string{"email"}},
		{&c.FullName, "coworker.fullName", []string{"fullname", "name"}},
		{&c.AccessPincode, "coworker.accessPincode", []string{"accesspincode", "pincode"}},
		{&c.AccessCardID, "coworker.accessCardId", []string{"accesscardid", "accesscard", "cardid"}},
		{&c.KeyFobNumber, "coworker.keyFobNumber", []string{"keyfobnumber", "fob", "keyfob"}},
	} {
		if *f.dst, err = cw.str(f.aliases...); err != nil {
			return bad(f.name, err.Error())
		}
	}

	graw, ok := top.raw("groups")
	if !ok {
		return bad("groups", "required (an empty array revokes all)")
	}
	if w.Groups, err = stringArray(graw); err != nil {
		return bad("groups", err.Error())
	}
	slices.Sort(w.Groups)
	w.Groups = slices.Compact(w.Groups)

	if sraw, ok := top.raw("schedule"); ok && string(sraw) != "null" {
		var items []json.RawMessage
		if json.Unmarshal(sraw, &items) != nil {
			return bad("schedule", "want an array")
		}
		for i, it := range items {
			field := "schedule[" + strconv.Itoa(i) + "]"
			o, ok := objectOf(it)
			if !ok {
				return bad(field, "want an object")
			}
			g, err := o.str("group")
			if err != nil || g == "" {
				return bad(field+".group", "required string")
			}
			es, err := o.str("expireson", "expiresat", "expires")
			if err != nil {
				return bad(field+".expires_on", err.Error())
			}
			et, err := ParseTime(es)
			if err != nil || et.IsZero() {
				return bad(field+".expires_on", "want an ISO-8601 timestamp")
			}
			w.Schedule = append(w.Schedule, ScheduleEntry{Group: g, ExpiresOn: et.Instant(TimeModeUTC, time.UTC).UTC()})
		}
	}
	return w, nil
}

// obj is a JSON object keyed by normalised names (normKey).
type obj map[string]json.RawMessage

// objectOf decodes an object; of keys that normalise alike, the one that
// sorts first wins, so the choice does not depend on map order.
func objectOf(b []byte) (obj, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || m == nil {
		return nil, false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	o := make(obj, len(m))
	for _, k := range keys {
		n := normKey(k)
		if _, dup := o[n]; !dup {
			o[n] = m[k]
		}
	}
	return o, true
}

// normKey lowercases k and drops '_' and '-': expires_on → expireson.
func normKey(k string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		return r
	}, strings.ToLower(k))
}

func (o obj) raw(aliases ...string) (json.RawMessage, bool) {
	for _, a := range aliases {
		if v, ok := o[a]; ok {
			return v, true
		}
	}
	return nil, false
}

func (o obj) object(key string) (obj, bool) {
	v, ok := o.raw(key)
	if !ok {
		return nil, false
	}
	return objectOf(v)
}

// str reads a string (a number is taken as its text; null or absent is "").
func (o obj) str(aliases ...string) (string, error) {
	v, ok := o.raw(aliases...)
	if !ok {
		return "", nil
	}
	var s StringID
	if err := json.Unmarshal(v, &s); err != nil {
		return "", errors.New("want a string")
	}
	return string(s), nil
}

// int reads an integer or a string of one (null, absent or "" is 0).
func (o obj) int(key string) (int64, error) {
	s, err := o.str(key)
	if err != nil || s == "" {
		return 0, err
	}
	n, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil {
		return 0, errors.New("want an integer")
	}
	return n, nil
}

// stringArray reads an array of strings or numbers (null is empty); empty
// entries are dropped. The result is never nil.
func stringArray(b json.RawMessage) ([]string, error) {
	out := []string{}
	if string(bytes.TrimSpace(b)) == "null" {
		return out, nil
	}
	var ids []StringID
	if err := json.Unmarshal(b, &ids); err != nil {
		return nil, errors.New("want an array of strings")
	}
	for _, id := range ids {
		if id != "" {
			out = append(out, string(id))
		}
	}
	return out, nil
}
