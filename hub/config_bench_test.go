package hub_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lockhub/lockhub/hub"
)

func BenchmarkLoadConfigDemo(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "configs", "demo.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hub.LoadConfig(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPolicyRecordsDemo(b *testing.B) {
	c, err := hub.LoadConfigFile(filepath.Join("..", "configs", "demo.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.PolicyRecords(stubDigest); err != nil {
			b.Fatal(err)
		}
	}
}
