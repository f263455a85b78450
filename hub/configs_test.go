package hub_test

import (
	"path/filepath"
	"testing"

	"github.com/lockhub/lockhub/hub"
)

// TestShippedConfigs loads, validates and converts every config in configs/.
func TestShippedConfigs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "configs", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d configs in ../configs, want at least demo.yaml and hub.example.yaml", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := hub.LoadConfigFile(f)
			if err != nil {
				t.Fatalf("LoadConfigFile: %v", err)
			}
			r, err := c.PolicyRecords(stubDigest)
			if err != nil {
				t.Fatalf("PolicyRecords: %v", err)
			}
			if len(r.Domains) != len(c.Domains) || len(r.Locks) != len(c.Locks) || len(r.Access) != len(c.Keys) ||
				len(r.Members) != len(c.Members) || len(r.Grants) != len(c.Grants) {
				t.Errorf("records %d/%d/%d/%d/%d, config %d/%d/%d/%d/%d", len(r.Domains), len(r.Locks), len(r.Access),
					len(r.Members), len(r.Grants), len(c.Domains), len(c.Locks), len(c.Keys), len(c.Members), len(c.Grants))
			}
			if len(r.Locks) == 0 || len(r.Access) == 0 {
				t.Errorf("config defines no locks or keys")
			}
		})
	}
}
