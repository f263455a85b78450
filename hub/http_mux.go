package hub

import (
	"net/http"
	"strings"
)

// mainMux is the main listener's handler:
//
//	GET /healthz, /readyz, /metrics, /assets/...   open
//	GET /                                          status page (viewer; ?token= login)
//	POST /                                         its sign-in and explainer forms (same-origin)
//	GET /api/..., POST /api/explain                read API (viewer; POST same-origin)
//	admin routes                                   admin token, same-origin only
//	/nexudus/...                                   when it has no listener of its own
func (h *Hub) mainMux(a *auth, withNexudus bool) (http.Handler, error) {
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	static, err := assets()
	if err != nil {
		return nil, err
	}
	a.loginPage = h.loginPage(tmpl)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", h.handleHealthz)
	mux.HandleFunc("GET /readyz", h.handleReadyz)
	mux.Handle("GET /metrics", h.metricsHandler())
	mux.Handle("GET /assets/", static)
	mux.Handle("GET /{$}", a.login(a.requireViewer(h.page(tmpl))))
	// The page's forms (sign-in, the explainer with a credential) post, so
	// a token or a credential never sits in the address bar or the
	// browser's history; same-origin only.
	mux.Handle("POST /{$}", a.csrf.Handler(a.login(a.requireViewer(h.page(tmpl)))))
	for pattern, fn := range h.readRoutes() {
		var hd http.Handler = a.requireViewer(fn)
		if strings.HasPrefix(pattern, "POST ") {
			hd = a.csrf.Handler(hd) // a cookie must not let another site ask
		}
		mux.Handle(pattern, hd)
	}
	for _, rt := range h.adminRoutes() {
		mux.Handle(rt.Method+" "+rt.Path, a.requireAdmin(rt.Handler))
	}
	if withNexudus {
		h.mountNexudus(mux)
	}
	return secureHeaders(mux), nil
}
