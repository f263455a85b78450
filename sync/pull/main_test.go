package pull_test

import (
	"os"
	"testing"

	"github.com/lockhub/lockhub/internal/testnet"
)

// TestMain keeps every dial through http.DefaultTransport on loopback, so a
// test with a forgotten URL cannot reach a real Nexudus or upstream.
func TestMain(m *testing.M) {
	testnet.GuardDefaultTransport()
	os.Exit(m.Run())
}
