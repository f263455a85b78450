package hub

import (
	"net/http"
	"strconv"
	"time"
)

// Read API: JSON under /api/, viewer token (or a local request) required.
//
//	GET /api/status              everything the status page shows (Status)
//	GET /api/locks               []LockView
//	GET /api/decisions?limit=N   []DecisionView, newest first (N: 1..500, default 50)
//	GET /api/outbox              OutboxView
//	GET /api/health              {"ready": bool, "warnings": []Warning}
//	GET /api/explain?lock=&member=[&at=]   ExplainResult for a member
//	POST /api/explain (form: lock, member | type and value, at)   ExplainResult
//	    (a credential only in a posted body: an address with value= is refused)
//
// Errors are {"error": "text"} with a 4xx or 5xx status.

const (
	defaultDecisions = 50
	maxDecisions     = 500
	pageDecisions    = 25
)

func (h *Hub) readRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /api/status":    h.apiStatus,
		"GET /api/locks":     h.apiLocks,
		"GET /api/decisions": h.apiDecisions,
		"GET /api/outbox":    h.apiOutbox,
		"GET /api/health":    h.apiHealth,
		"GET /api/explain":   h.apiExplain,
		"POST /api/explain":  h.apiExplain,
	}
}

func (h *Hub) apiStatus(w http.ResponseWriter, r *http.Request) {
	st, err := h.status(pageDecisions)
	if err != nil {
		h.apiError(w, http.StatusInternalServerError, "read status", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *Hub) apiLocks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, h.lockViews(h.now()))
}

func (h *Hub) apiDecisions(w http.ResponseWriter, r *http.Request) {
	n := defaultDecisions
	if s := r.URL.Query().Get("limit"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > maxDecisions {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "limit: want a number from 1 to 500"})
			return
		}
		n = v
	}
	ds, err := h.recentDecisions(n)
	if err != nil {
		h.apiError(w, http.StatusInternalServerError, "read decisions", err)
		return
	}
	writeJSON(w, http.StatusOK, ds)
}

func (h *Hub) apiOutbox(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, h.outboxView())
}

// HealthView is the answer of /api/health and /readyz.
type HealthView struct {
	Ready    bool      `json:"ready"`
	Warnings []Warning `json:"warnings"`
}

func (h *Hub) apiHealth(w http.ResponseWriter, r *http.Request) {
	ws := h.checkHealth(h.now())
	writeJSON(w, http.StatusOK, HealthView{Ready: !critical(ws), Warnings: ws})
}

func (h *Hub) apiExplain(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxPageForm)
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "bad form body: want lock, member or type and value, at"})
			return
		}
		q = r.PostForm
	} else if q.Has("value") {
		writeJSON(w, http.StatusBadRequest, apiError{Error: errCredentialInAddress.Error()})
		return
	}
	eq, err := parseExplain(q, h.now(), h.displayZone())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	res, err := h.explain(eq)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// handleHealthz is liveness: the process answers.
func (h *Hub) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// handleReadyz is readiness: the HTTP server runs only inside Run, between
// New (store open, broker bound) and Close, so answering at all means both
// are up; beyond that no critical warning may be visible (Nexudus data
// older than the locks' offline horizon, an untrusted clock). It answers
// 200 or 503 with the warnings as JSON (no names: no token needed).
func (h *Hub) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ws := h.checkHealth(h.now())
	v := HealthView{Ready: !critical(ws), Warnings: ws}
	code := http.StatusOK
	if !v.Ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, v)
}

func (h *Hub) apiError(w http.ResponseWriter, code int, what string, err error) {
	h.log.Error("http api", "what", what, "error", err)
	writeJSON(w, code, apiError{Error: what + " failed"})
}

// displayZone is the zone the page shows times in: the domains' zone when
// they share one, else UTC.
func (h *Hub) displayZone() *time.Location {
	zone := ""
	for _, d := range h.Config().Domains {
		if zone != "" && d.Zone != zone {
			return time.UTC
		}
		zone = d.Zone
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		return time.UTC
	}
	return loc
}
