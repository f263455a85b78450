// Package testnet keeps tests on loopback: GuardDefaultTransport makes every
// dial through http.DefaultTransport fail unless it targets a loopback
// address, so a test with a forgotten base URL cannot reach a real Nexudus
// tenant or upstream (style.md rule 18); PlainBroker is a broker for tests.
// It is for tests only.
package testnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
)

// ErrNonLoopback is what a test gets if it dials anywhere but loopback.
var ErrNonLoopback = errors.New("test tried to dial a non-loopback address")

// GuardDefaultTransport wraps http.DefaultTransport's dialer with the
// loopback check and drops any proxy from the environment.
func GuardDefaultTransport() {
	tr := http.DefaultTransport.(*http.Transport)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if err := LoopbackOnly(addr); err != nil {
			fmt.Fprintf(os.Stderr, "BLOCKED: %v\n", err)
			return nil, err
		}
		return dial(ctx, network, addr)
	}
	tr.Proxy = nil // a proxy from the environment would be non-loopback too
}

// LoopbackOnly returns nil for a host:port on loopback, ErrNonLoopback
// otherwise. Names other than localhost are refused unresolved.
func LoopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrNonLoopback, addr)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNonLoopback, addr)
}
