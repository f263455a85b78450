package nexudus_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/lockhub/lockhub/sync/nexudus"
)

// errNonLoopback is what a test gets if it dials anywhere but loopback.
var errNonLoopback = errors.New("test tried to dial a non-loopback address")

// TestMain makes every dial through http.DefaultTransport (which a Client
// with a nil *http.Client uses) fail unless it targets loopback, so a test
// with a forgotten base URL cannot reach the real Nexudus (style.md 18).
func TestMain(m *testing.M) {
	tr := http.DefaultTransport.(*http.Transport)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if err := loopbackOnly(addr); err != nil {
			fmt.Fprintf(os.Stderr, "BLOCKED: %v\n", err)
			return nil, err
		}
		return dial(ctx, network, addr)
	}
	tr.Proxy = nil // a proxy from the environment would be non-loopback too
	os.Exit(m.Run())
}

func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: %q", errNonLoopback, addr)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %s", errNonLoopback, addr) // names are refused unresolved
}

func TestForgottenBaseURLStaysOnLoopback(t *testing.T) {
	clk := newFakeClock()
	c, err := nexudus.New(nexudus.Config{
		Username: "admin@example.org", Password: "pw", MaxRetries: 1,
		Now: clk.Now, Sleep: clk.Sleep,
	}, nil, nil) // empty BaseURL: the real spaces.nexudus.com
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListCoworkers(t.Context(), nexudus.Query{})
	if !errors.Is(err, errNonLoopback) {
		t.Fatalf("ListCoworkers with the default base URL: %v, want the loopback guard's error", err)
	}
}
