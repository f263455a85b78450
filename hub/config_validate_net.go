package hub

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func (v *validator) mqtt() {
	m := &v.c.MQTT
	l := &m.Listeners
	addrs := map[string]string{}
	if l.TCP.Disabled && l.TLS.Address == "" && l.WebSocket.Address == "" {
		v.p.addf("mqtt.listeners", "no listener enabled (tcp is disabled, tls and websocket have no address)")
	}
	if !l.TCP.Disabled {
		addr := l.TCP.Address
		if addr == "" {
			addr = "127.0.0.1:1883"
		}
		v.address("mqtt.listeners.tcp.address", addr, addrs)
	}
	if l.TLS.Address != "" {
		v.address("mqtt.listeners.tls.address", l.TLS.Address, addrs)
		if l.TLS.CertFile == "" {
			v.p.addf("mqtt.listeners.tls.cert_file", "%w with a tls address", ErrRequired)
		}
		if l.TLS.KeyFile == "" {
			v.p.addf("mqtt.listeners.tls.key_file", "%w with a tls address", ErrRequired)
		}
	}
	if l.TLS.RequireClientCert && l.TLS.ClientCAFile == "" {
		v.p.addf("mqtt.listeners.tls.client_ca_file", "%w with require_client_cert", ErrRequired)
	}
	if l.WebSocket.Address != "" {
		v.address("mqtt.listeners.websocket.address", l.WebSocket.Address, addrs)
	}
	v.count("mqtt.max_clients", m.MaxClients, 1_000_000)
	users := map[string]bool{}
	for i, u := range m.Users {
		at := fmt.Sprintf("mqtt.users[%d]", i)
		switch {
		case u.Name == "":
			v.p.add(at+".name", ErrRequired)
		case !validID(u.Name):
			v.id(at+".name", u.Name)
		case users[u.Name]:
			v.p.addf(at+".name", "%w: user %q is defined twice", ErrDuplicateID, u.Name)
		case v.locks[u.Name] != nil:
			v.p.addf(at+".name", "user %q is also a lock id (a lock's MQTT username is its id)", u.Name)
		}
		users[u.Name] = true
		if len(u.AllowPublish)+len(u.AllowSubscribe) == 0 {
			v.p.addf(at, "user has no allow_publish or allow_subscribe filter")
		}
		for j, f := range u.AllowPublish {
			fat := fmt.Sprintf("%s.allow_publish[%d]", at, j)
			if err := checkFilter(f); err != nil {
				v.p.add(fat, err)
			} else if t := hubTopicCovered(f); t != "" {
				v.p.addf(fat, "filter %q covers lockhub/v1/locks/{lock}/%s, which only the hub may publish", f, t)
			}
		}
		for j, f := range u.AllowSubscribe {
			if err := checkFilter(f); err != nil {
				v.p.add(fmt.Sprintf("%s.allow_subscribe[%d]", at, j), err)
			}
		}
	}
	v.count("mqtt.keypad.max_failures", m.Keypad.MaxFailures, 1000)
	v.duration("mqtt.keypad.window", m.Keypad.Window, 0, 24*time.Hour)
	v.duration("mqtt.keypad.lockout", m.Keypad.Lockout, 0, 24*time.Hour)
	v.count("mqtt.auth_failures.max_failures", m.AuthFailures.MaxFailures, 1_000_000)
	v.duration("mqtt.auth_failures.window", m.AuthFailures.Window, 0, 24*time.Hour)
	v.duration("mqtt.auth_failures.block", m.AuthFailures.Block, 0, 24*time.Hour)
	v.mqttExternal()
}

// checkFilter validates an MQTT topic filter.
func checkFilter(f string) error {
	if f == "" || len(f) > 1024 || !printable(f) {
		return fmt.Errorf("filter %q: want a non-empty MQTT topic filter", truncate(f))
	}
	levels := strings.Split(f, "/")
	for i, lv := range levels {
		if strings.Contains(lv, "#") && (lv != "#" || i != len(levels)-1) {
			return fmt.Errorf("filter %q: # must be a whole level at the end", f)
		}
		if strings.Contains(lv, "+") && lv != "+" {
			return fmt.Errorf("filter %q: + must be a whole level", f)
		}
	}
	return nil
}

// hubTopicCovered returns the hub-to-lock topic kind ("res", "ack", "cmd")
// that the filter can match for some lock, or "".
func hubTopicCovered(f string) string {
	levels := strings.Split(f, "/")
	for _, kind := range []string{"res", "ack", "cmd"} {
		if matchesLockTopic(levels, kind) {
			return kind
		}
	}
	return ""
}

// matchesLockTopic reports whether filter levels match
// lockhub/v1/locks/{some lock}/kind.
func matchesLockTopic(levels []string, kind string) bool {
	topic := [...]string{"lockhub", "v1", "locks", "", kind}
	for i, lv := range levels {
		switch {
		case lv == "#":
			return true
		case i >= len(topic):
			return false
		case lv == "+":
		case i == 3: // a literal lock id names some lock
			if lv == "" {
				return false
			}
		case lv != topic[i]:
			return false
		}
	}
	return len(levels) == len(topic)
}

func (v *validator) http() {
	h := &v.c.HTTP
	addrs := map[string]string{}
	addr := h.Address
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	v.address("http.address", addr, addrs)
	if (h.TLSCertFile == "") != (h.TLSKeyFile == "") {
		v.p.addf("http", "set both tls_cert_file and tls_key_file, or neither")
	}
	if h.NexudusAddress != "" {
		v.address("http.nexudus_address", h.NexudusAddress, addrs)
	}
	v.secretRef(h.ViewerToken())
	v.secretRef(h.AdminToken())
	if !loopback(addr) && !h.ViewerToken().Configured() && !h.AdminToken().Configured() {
		v.p.addf("http.viewer_token_env", "%w when http.address is not loopback (the page shows names and decisions)", ErrRequired)
	}
}

func (v *validator) nexudus() {
	n := &v.c.Nexudus
	if n.BaseURL != "" {
		v.url("nexudus.base_url", n.BaseURL)
	}
	if v.c.NexudusEnabled() {
		if n.Username == "" {
			v.p.addf("nexudus.username", "%w: a domain follows a Nexudus business", ErrRequired)
		}
		if !n.Password().Configured() {
			v.p.addf("nexudus.password_env", "%w (or password_file): a domain follows a Nexudus business", ErrRequired)
		}
	}
	for _, r := range []SecretRef{n.Password(), n.WebhookToken(), n.AccessGroupsToken()} {
		v.secretRef(r)
	}
	if n.BookingMarginBefore != nil && *n.BookingMarginBefore != 0 {
		v.duration("nexudus.booking_margin_before", *n.BookingMarginBefore, 0, 24*time.Hour)
	}
	v.duration("nexudus.booking_margin_after", n.BookingMarginAfter, 0, 24*time.Hour)
	v.duration("nexudus.prestage", n.Prestage, time.Hour, 90*24*time.Hour)
	for _, c := range []struct{ field, spec string }{
		{"nexudus.incremental", n.Incremental}, {"nexudus.reconcile", n.Reconcile}, {"nexudus.nightly", n.Nightly},
	} {
		if c.spec == "" {
			continue
		}
		sched, err := (CronParser{}).Parse(c.spec)
		if err != nil {
			v.p.add(c.field, err)
			continue
		}
		// Two consecutive runs from a fixed instant show the shortest period
		// well enough for every-N specs; a job hammering Nexudus is refused.
		t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
		if first := sched.Next(t0); !first.IsZero() && sched.Next(first).Sub(first) < minCronPeriod {
			v.p.addf(c.field, "cron spec %q runs more often than every %s", c.spec, Duration(minCronPeriod))
		}
	}
	switch n.TimeMode {
	case "", TimeModeAuto, TimeModeUTC, TimeModeWallclock:
	default:
		v.p.addf("nexudus.time_mode", "%q: want auto, utc or wallclock", n.TimeMode)
	}
	v.count("nexudus.requests_per_minute", n.RequestsPerMinute, MaxNexudusRequestsPerMin)
	rpm := n.RequestsPerMinute
	if rpm <= 0 {
		rpm = 80
	}
	v.count("nexudus.burst", n.Burst, rpm)
}

// minCronPeriod is the shortest period allowed between two runs of a sync job.
const minCronPeriod = 10 * time.Second

func (v *validator) upstream() {
	u := &v.c.Upstream
	if u.URL != "" {
		v.url("upstream.url", u.URL)
		if !u.Token().Configured() {
			v.p.addf("upstream.token_env", "%w with upstream.url (or token_file): uploads are bearer-authenticated", ErrRequired)
		}
	}
	v.secretRef(u.Token())
	v.count("upstream.batch_max_events", u.BatchMaxEvents, 100_000)
	v.size("upstream.batch_max_bytes", u.BatchMaxBytes, 1<<10, 64<<20)
	v.duration("upstream.interval", u.Interval, 0, 24*time.Hour)
	v.count("upstream.outbox_max_events", u.OutboxMaxEvents, 1_000_000_000)
}

func (v *validator) count(at string, n, hi int) {
	switch {
	case n < 0:
		v.p.add(at, ErrNotPositive)
	case n > hi:
		v.p.addf(at, "%d is above the maximum of %d", n, hi)
	}
}

func (v *validator) size(at string, b, lo, hi ByteSize) {
	switch {
	case b == 0:
	case b < 0:
		v.p.add(at, ErrNotPositive)
	case b < lo:
		v.p.addf(at, "%s is below the minimum of %s", b, lo)
	case hi > 0 && b > hi:
		v.p.addf(at, "%s is above the maximum of %s", b, hi)
	}
}

func (v *validator) address(at, addr string, seen map[string]string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.p.addf(at, "address %q: want host:port", addr)
		return
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || (p == 0 && port != "0") {
		v.p.addf(at, "address %q: port must be a number from 0 to 65535", addr)
		return
	}
	if host != "" && !printable(host) {
		v.p.addf(at, "address %q: bad host", addr)
		return
	}
	if prev, ok := seen[addr]; ok && !strings.HasSuffix(addr, ":0") {
		v.p.addf(at, "address %q is also used by %s", addr, prev)
	}
	seen[addr] = at
}

// loopback reports whether a listen address is on a loopback interface only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (v *validator) url(at, s string) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		v.p.addf(at, "want an absolute https URL")
		return
	}
	if u.User != nil {
		v.p.addf(at, "must not carry credentials (use the _env or _file settings)")
	}
	if u.Scheme == "http" && !loopback(u.Host) && !loopback(u.Host+":80") {
		v.p.addf(at, "http is allowed only to a loopback host; use https")
	}
}

func (v *validator) secretRef(r SecretRef) {
	if r.Env != "" && r.File != "" {
		v.p.addf(r.Field+"_env", "set either %s_env or %s_file, not both", r.Field, r.Field)
	}
	if r.Env != "" && !validEnvName(r.Env) {
		v.p.addf(r.Field+"_env", "%q is not an environment variable name", truncate(r.Env))
	}
	if strings.ContainsRune(r.File, 0) {
		v.p.addf(r.Field+"_file", "path must not contain NUL")
	}
}

func validEnvName(s string) bool {
	if s == "" || len(s) > 128 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
