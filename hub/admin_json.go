package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/policy"
)

// JSON plumbing and shapes of the admin API (docs/backup.md lists the
// routes; the report to the integrator has the full shapes).

const maxAdminBody = 64 << 10

// ActorHeader names the acting admin in audit events; without it the actor
// is "admin".
const ActorHeader = "X-Lockhub-Actor"

// apiError is the body of every error answer: {"error": "..."}.
type apiError struct {
	Error string `json:"error"`
}

// httpError is an error with its HTTP status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errorf(status int, format string, a ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, a...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeErr answers err: its own status for an httpError, else 500 with a
// generic message (the detail goes to the log, which holds no secrets).
func (h *Hub) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeJSON(w, he.status, apiError{Error: he.msg})
		return
	}
	h.log.Error("admin action failed", "path", r.URL.Path, "error", err)
	writeJSON(w, http.StatusInternalServerError, apiError{Error: "internal error: " + err.Error()})
}

// decodeBody reads a JSON object of at most maxAdminBody bytes into v,
// refusing unknown fields and trailing data. An empty body is {}.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	if err != nil {
		return errorf(http.StatusBadRequest, "read body: %v", err)
	}
	if len(body) > maxAdminBody {
		return errorf(http.StatusRequestEntityTooLarge, "body over %d bytes", maxAdminBody)
	}
	if len(body) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytesReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "bad JSON body: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "bad JSON body: more than one value")
	}
	return nil
}

// actorOf returns the acting admin: the X-Lockhub-Actor header (1 to 64
// printable ASCII characters) or "admin".
func actorOf(r *http.Request) (string, error) {
	a := r.Header.Get(ActorHeader)
	if a == "" {
		return "admin", nil
	}
	if len(a) > 64 {
		return "", errorf(http.StatusBadRequest, "%s: at most 64 characters", ActorHeader)
	}
	for i := 0; i < len(a); i++ {
		if a[i] < ' ' || a[i] > '~' {
			return "", errorf(http.StatusBadRequest, "%s: printable ASCII only", ActorHeader)
		}
	}
	return a, nil
}

// LockJSON is a lock in admin answers.
type LockJSON struct {
	ID            string `json:"id"`
	Domain        string `json:"domain"`
	Name          string `json:"name"`
	Origin        string `json:"origin"`
	KeyGeneration uint32 `json:"key_generation"`
	FailMode      string `json:"fail_mode"`
}

func lockJSON(l *policy.Lock) LockJSON {
	return LockJSON{ID: l.ID, Domain: l.Domain, Name: l.Name, Origin: l.Origin.String(),
		KeyGeneration: l.KeyGeneration, FailMode: l.FailMode.String()}
}

// LockStateJSON is a lock's runtime state in admin answers.
type LockStateJSON struct {
	Lockdown          bool       `json:"lockdown"`
	Released          bool       `json:"released"`
	KeypadLockedUntil *time.Time `json:"keypad_locked_until"`
}

func lockStateJSON(st policy.LockState) LockStateJSON {
	return LockStateJSON{Lockdown: st.Lockdown, Released: st.Released, KeypadLockedUntil: optTime(st.KeypadLockedUntil)}
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// RevocationJSON is a revocation in admin answers. ID names it for
// unrevoke; for a credential it holds the keyed digest, never the value.
type RevocationJSON struct {
	ID     string    `json:"id"`
	Kind   string    `json:"kind"` // "member" or "credential"
	Member string    `json:"member,omitempty"`
	Domain string    `json:"domain,omitempty"`
	Type   string    `json:"type,omitempty"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Note   string    `json:"note,omitempty"`
}

func revocationJSON(r *store.Revocation) RevocationJSON {
	k := r.Key()
	j := RevocationJSON{ID: k.String(), Kind: "member", Member: r.Member, At: r.At, Actor: r.Actor, Note: r.Note}
	if !k.IsMember() {
		j.Kind, j.Domain, j.Type = "credential", r.Domain, r.Credential.Type.String()
	}
	return j
}
