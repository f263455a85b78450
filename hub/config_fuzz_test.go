package hub_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/lockhub/lockhub/hub"
)

// FuzzLoadConfig: no input makes LoadConfig, Validate or PolicyRecords panic;
// a failure is always a *ConfigError or names the input as oversize; a
// config that loads converts to records or explains why not.
func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte(minimal))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := hub.LoadConfig(bytes.NewReader(data))
		if err != nil {
			var ce *hub.ConfigError
			if c != nil || (!errors.As(err, &ce) && len(data) <= hub.MaxConfigSize) {
				t.Fatalf("LoadConfig = %v, %v (%T)", c, err, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("loaded config fails Validate: %v", err)
		}
		if _, err := c.PolicyRecords(stubDigest); err != nil {
			t.Fatalf("loaded config fails PolicyRecords: %v", err)
		}
	})
}
