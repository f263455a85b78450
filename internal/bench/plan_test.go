package bench

import (
	"strings"
	"testing"
)

func TestPlanOnly(t *testing.T) {
	full := FullPlan()
	p, err := full.Only([]string{"throughput", "profile"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.GoBenches) != 0 || len(p.LockCounts) != 0 || p.ConnectLocks != 0 {
		t.Errorf("unselected scenarios kept: go %d, roundtrip %v, connect %d", len(p.GoBenches), p.LockCounts, p.ConnectLocks)
	}
	if len(p.StepRates) != len(full.StepRates) || p.ProfileLocks != full.ProfileLocks {
		t.Errorf("selected scenarios changed: steps %v, profile locks %d", p.StepRates, p.ProfileLocks)
	}
	if len(full.GoBenches) == 0 || full.ConnectLocks == 0 {
		t.Fatal("Only changed the plan it was called on")
	}
	for _, bad := range [][]string{{"roundtrips"}, {}, {""}} {
		if _, err := full.Only(bad); err == nil {
			t.Errorf("Only(%q) = nil error", bad)
		} else if len(bad) == 1 && bad[0] != "" && !strings.Contains(err.Error(), "unknown scenario") {
			t.Errorf("Only(%q) error %q does not name the problem", bad, err)
		}
	}
}
