package hub

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/lockhub/lockhub/policy"
)

//go:embed web/status.html web/login.html web/style.css web/icon.svg
var webFS embed.FS

// pageRefresh is the status page's auto-refresh period, in seconds.
const pageRefresh = 15

// pageData is what the status page template renders.
type pageData struct {
	Status
	Zone       string
	Refresh    int // 0: no auto-refresh (an explainer answer is on the page)
	Online     int
	ChartView  chartView
	CredTypes  []string
	Form       explainForm
	Explain    *ExplainResult
	ExplainErr string
}

// explainForm is what the explainer form shows again. It has no field for
// the credential value: the page never echoes it.
type explainForm struct {
	Lock, Member, Type, At string
}

// templates parses the embedded templates, with helpers that format times
// in loc relative to now.
func parseTemplates() (*template.Template, error) {
	funcs := template.FuncMap{
		"add": func(a, b int) int { return a + b },
		"sub": func(a, b int) int { return a - b },
		"div": func(a, b int) int { return a / b },
		// placeholders: the real ones, bound to the request's clock and
		// zone, are set per render with Funcs.
		"clock":    func(time.Time) string { return "" },
		"datetime": func(time.Time) string { return "" },
		"ago":      func(time.Time) string { return "" },
		"seconds":  func(s float64) string { return fmtDuration(time.Duration(s * float64(time.Second))) },
		"tens":     func(p int) int { return min(max((p+5)/10, 0), 10) },
		"batteryClass": func(p int) string {
			switch {
			case p < 15:
				return "low"
			case p < 35:
				return "mid"
			}
			return ""
		},
		"skew": func(s float64) string {
			return fmt.Sprintf("%+.1f s", s)
		},
		"skewClass": func(s float64) string {
			switch a := math.Abs(s); {
			case a >= 60:
				return "skew-bad"
			case a >= 5:
				return "skew-warn"
			}
			return "skew-ok"
		},
		"ageClass": func(age, limit float64) string {
			switch {
			case limit > 0 && age >= limit:
				return "age-bad"
			case age > GrantsStaleAfter.Seconds():
				return "age-warn"
			}
			return "age-ok"
		},
	}
	return template.New("web").Funcs(funcs).ParseFS(webFS, "web/*.html")
}

// page renders the status page, with an explainer answer when the query
// names a lock.
func (h *Hub) page(tmpl *template.Template) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, err := h.status(pageDecisions)
		if err != nil {
			h.log.Error("status page", "error", err)
			http.Error(w, "reading the status failed; see the hub's log", http.StatusInternalServerError)
			return
		}
		loc := h.displayZone()
		d := pageData{Status: st, Zone: loc.String(), Refresh: pageRefresh, ChartView: buildChart(st.Chart, loc)}
		for _, l := range st.Locks {
			if l.Online {
				d.Online++
			}
		}
		for _, t := range []policy.CredentialType{policy.CredCard, policy.CredFob, policy.CredPIN, policy.CredPhone} {
			d.CredTypes = append(d.CredTypes, t.String())
		}
		q := explainValues(r)
		d.Form = explainForm{Lock: q.Get("lock"), Member: q.Get("member"), Type: q.Get("type"), At: q.Get("at")}
		if d.Form.At == "" {
			d.Form.At = st.Now.In(loc).Format("2006-01-02T15:04")
		}
		if r.Method == http.MethodGet && r.URL.Query().Has("value") {
			d.Refresh = 0
			d.ExplainErr = errCredentialInAddress.Error()
		} else if q.Has("lock") {
			d.Refresh = 0 // keep the answer; never re-send a credential
			if eq, err := parseExplain(q, st.Now, loc); err != nil {
				d.ExplainErr = err.Error()
			} else if res, err := h.explain(eq); err != nil {
				d.ExplainErr = err.Error()
			} else {
				d.Explain = &res
			}
		}
		render(w, http.StatusOK, tmpl, "status.html", d, st.Now, loc)
	}
}

// render executes a template with the time helpers bound to now and loc,
// into a buffer first so that a template error is a clean 500.
func render(w http.ResponseWriter, code int, tmpl *template.Template, name string, data any, now time.Time, loc *time.Location) {
	t, err := tmpl.Clone()
	if err == nil {
		t.Funcs(template.FuncMap{
			"clock":    func(t time.Time) string { return t.In(loc).Format("15:04:05") },
			"datetime": func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") },
			"ago":      func(t time.Time) string { return ago(now, t) },
		})
		var buf bytes.Buffer
		if err = t.ExecuteTemplate(&buf, name, data); err == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(code)
			w.Write(buf.Bytes())
			return
		}
	}
	http.Error(w, "rendering the page failed", http.StatusInternalServerError)
}

// loginPage answers a page request without a valid token: a token form,
// with status 401.
func (h *Hub) loginPage(tmpl *template.Template) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data := struct{ Wrong bool }{Wrong: r.URL.Query().Has("token") || r.PostForm.Has("token")}
		render(w, http.StatusUnauthorized, tmpl, "login.html", data, h.now(), time.UTC)
	}
}

// assets serves the embedded stylesheet and icon.
func assets() (http.Handler, error) {
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		return nil, fmt.Errorf("embedded assets: %w", err)
	}
	files := http.FileServerFS(sub)
	return http.StripPrefix("/assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "style.css", "icon.svg":
			w.Header().Set("Cache-Control", "max-age=3600")
			files.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})), nil
}

// errCredentialInAddress answers a page address that carries a credential:
// it would stay in the browser's history and in any proxy's log.
var errCredentialInAddress = errors.New("a credential is explained through the form (posted), never in the page's address; " +
	"it was not used, and you may want to clear it from the browser's history")

// explainValues are the explainer's fields: the posted form (the login
// wrapper has parsed it), or the address for a lock and member query.
func explainValues(r *http.Request) url.Values {
	if r.Method == http.MethodPost {
		return r.PostForm
	}
	return r.URL.Query()
}
