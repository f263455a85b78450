package hub_test

import (
	"os"
	"testing"

	"github.com/lockhub/lockhub/internal/testnet"
)

// TestMain keeps every dial through http.DefaultTransport on loopback: a
// test config with a forgotten Nexudus or upstream URL cannot leave the box.
func TestMain(m *testing.M) {
	testnet.GuardDefaultTransport()
	os.Exit(m.Run())
}
