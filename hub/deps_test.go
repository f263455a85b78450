package hub_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules enforces the package map of style.md: policy depends on
// nothing of ours, devices and sync never import each other, and so on. It
// reads the real import graph with `go list`.
func TestImportRules(t *testing.T) {
	if testing.Short() {
		t.Skip("go list over the module is slow; run without -short")
	}
	const mod = "github.com/lockhub/lockhub/"
	out, err := exec.Command("go", "list", "-json=ImportPath,Deps", "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath string
		Deps       []string
	}
	// forbidden[prefix of package] = prefixes of ours it must not depend on;
	// "*" means: nothing of ours at all.
	forbidden := map[string][]string{
		"policy":           {"*"},
		"devices/wire":     {"*"},
		"internal/backoff": {"*"},
		"internal/testnet": {"*"},
		"devices":          {"sync/", "internal/store", "internal/events", "internal/keys", "hub", "simulators/"},
		"sync/":            {"devices", "internal/store", "internal/events", "hub", "simulators/"},
		"internal/store":   {"devices", "sync/", "hub", "simulators/", "internal/events"},
		"internal/events":  {"devices", "sync/", "hub", "simulators/", "internal/store"},
		"internal/keys":    {"devices", "sync/", "hub", "simulators/", "internal/store", "internal/events"},
		// simulators/locks may use devices/wire (the protocol codecs): "devices"
		// matches that package alone.
		"simulators/": {"devices", "sync/", "hub", "internal/", "policy"},
		"hub":         {"simulators/"},
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		rel, ok := strings.CutPrefix(p.ImportPath, mod)
		if !ok {
			continue
		}
		for prefix, bad := range forbidden {
			if !matches(rel, prefix) {
				continue
			}
			checked++
			for _, d := range p.Deps {
				drel, ours := strings.CutPrefix(d, mod)
				if !ours {
					continue
				}
				for _, b := range bad {
					if b == "*" || matches(drel, b) {
						t.Errorf("%s imports %s, which the package map forbids", rel, drel)
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no package of ours was checked; is the module path right?")
	}
}

// matches reports whether rel is the package prefix or, for a prefix ending
// in "/", under it.
func matches(rel, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(rel, prefix)
	}
	return rel == prefix
}
