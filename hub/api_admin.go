package hub

import "net/http"

// adminRoute is one admin action endpoint (POST, admin token required).
type adminRoute struct {
	Method, Path string
	Handler      http.HandlerFunc
}

// adminRoutes lists the admin API; the admin actions are added by the admin API change.
func (h *Hub) adminRoutes() []adminRoute { return nil }
