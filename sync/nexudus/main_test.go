package nexudus_test

import (
	"errors"
	"os"
	"testing"

	"github.com/lockhub/lockhub/internal/testnet"
	"github.com/lockhub/lockhub/sync/nexudus"
)

// TestMain makes every dial through http.DefaultTransport (which a Client
// with a nil *http.Client uses) fail unless it targets loopback, so a test
// with a forgotten base URL cannot reach the real Nexudus (style.md 18).
func TestMain(m *testing.M) {
	testnet.GuardDefaultTransport()
	os.Exit(m.Run())
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
	if !errors.Is(err, testnet.ErrNonLoopback) {
		t.Fatalf("ListCoworkers with the default base URL: %v, want the loopback guard's error", err)
	}
}
