package hub

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"golang.org/x/sync/errgroup"
)

// HTTP server limits.
const (
	httpReadHeaderTimeout = 5 * time.Second
	httpReadTimeout       = 15 * time.Second
	httpWriteTimeout      = 30 * time.Second
	httpIdleTimeout       = 2 * time.Minute
	httpMaxHeaderBytes    = 16 << 10
	httpShutdownTimeout   = 5 * time.Second
)

// HTTPAddrs are the bound addresses of the HTTP listeners.
type HTTPAddrs struct {
	Main    string // status page, API, /metrics, health
	Nexudus string // /nexudus/* alone; empty when served on Main
	TLS     bool   // Main serves HTTPS
}

// webServer is the hub's HTTP side: the main listener and, with
// http.nexudus_address, a second one serving only /nexudus/*.
type webServer struct {
	auth    *auth
	addrs   HTTPAddrs
	servers []*http.Server
	lns     []net.Listener
}

// openHTTP resolves the tokens, builds the handlers and binds the
// listeners (so a busy port fails New).
func (h *Hub) openHTTP(cfg *Config) error {
	hc := cfg.HTTP
	var viewer, admin string
	var err error
	if ref := hc.ViewerToken(); ref.Configured() {
		if viewer, err = cfg.Secret(ref); err != nil {
			return err
		}
	}
	if ref := hc.AdminToken(); ref.Configured() {
		if admin, err = cfg.Secret(ref); err != nil {
			return err
		}
	}
	var tlsCfg *tls.Config
	if hc.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.ResolvePath(hc.TLSCertFile), cfg.ResolvePath(hc.TLSKeyFile))
		if err != nil {
			return fmt.Errorf("load http tls certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ws := &webServer{}
	h.web = ws
	h.closers = append(h.closers, ws.close)

	ln, err := net.Listen("tcp", hc.Address)
	if err != nil {
		return fmt.Errorf("listen http on %s: %w", hc.Address, err)
	}
	ws.lns = append(ws.lns, ln)
	ws.addrs.Main = ln.Addr().String()
	ws.addrs.TLS = tlsCfg != nil
	ws.auth = newAuth(viewer, admin, loopbackAddr(ln.Addr()), tlsCfg != nil)
	mainMux, err := h.mainMux(ws.auth, hc.NexudusAddress == "")
	if err != nil {
		return err
	}
	ws.servers = append(ws.servers, h.httpServer(mainMux, tlsCfg))

	if hc.NexudusAddress != "" {
		nln, err := net.Listen("tcp", hc.NexudusAddress)
		if err != nil {
			return fmt.Errorf("listen nexudus http on %s: %w", hc.NexudusAddress, err)
		}
		ws.lns = append(ws.lns, nln)
		ws.addrs.Nexudus = nln.Addr().String()
		nmux := http.NewServeMux()
		h.mountNexudus(nmux)
		ws.servers = append(ws.servers, h.httpServer(secureHeaders(nmux), tlsCfg))
	}
	return nil
}

func (h *Hub) httpServer(handler http.Handler, tlsCfg *tls.Config) *http.Server {
	return &http.Server{
		Handler:           handler,
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: httpReadHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       httpIdleTimeout,
		MaxHeaderBytes:    httpMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(h.log.With("component", "http").Handler(), slog.LevelWarn),
	}
}

// loopbackAddr reports whether a bound address is a loopback address (not
// the unspecified one, which listens on every interface).
func loopbackAddr(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	return ok && ip.Unmap().IsLoopback()
}

// mountNexudus mounts the Nexudus endpoints (the Custom ACS webhook and the
// access-groups endpoint, with their own bearer tokens) under /nexudus/. The
// sync change fills it in; until then everything under /nexudus/ is 404.
func (h *Hub) mountNexudus(mux *http.ServeMux) {
	mux.Handle("/nexudus/", h.nexudusHandler())
}

// run serves until ctx ends, then shuts the servers down gracefully
// (in-flight requests get httpShutdownTimeout).
func (ws *webServer) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	for i, srv := range ws.servers {
		ln := ws.lns[i]
		g.Go(func() error {
			var err error
			if srv.TLSConfig != nil {
				err = srv.ServeTLS(ln, "", "")
			} else {
				err = srv.Serve(ln)
			}
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("serve http on %s: %w", ln.Addr(), err)
		})
	}
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
		defer cancel()
		var err error
		for _, srv := range ws.servers {
			err = errors.Join(err, srv.Shutdown(sctx))
		}
		return err
	})
	return g.Wait()
}

// close closes the listeners and servers (after run, or when run never
// started).
func (ws *webServer) close() error {
	var err error
	for _, srv := range ws.servers {
		if cerr := srv.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = errors.Join(err, cerr)
		}
	}
	for _, ln := range ws.lns {
		if cerr := ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = errors.Join(err, cerr)
		}
	}
	return err
}

// HTTPAddrs returns the bound HTTP addresses.
func (h *Hub) HTTPAddrs() HTTPAddrs {
	if h.web == nil {
		return HTTPAddrs{}
	}
	return h.web.addrs
}

// secureHeaders sets the headers every response carries: no caching (the
// pages hold names), no sniffing, no framing, no referrer, and a content
// security policy that allows nothing but the hub's own assets.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}
