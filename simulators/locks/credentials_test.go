package locks_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/lockhub/lockhub/devices/wire"
	"github.com/lockhub/lockhub/simulators/locks"
)

func TestParseCredentials(t *testing.T) {
	good := []struct {
		spec string
		want []locks.Credential
	}{
		{"card:04A1B2C3", []locks.Credential{{Type: wire.TypeCard, Value: "04A1B2C3"}}},
		{" card:04:a1:b2:c3*5 , pin:1234,pin:?*2,fob:?,phone:tok-1 ", []locks.Credential{
			{Type: wire.TypeCard, Value: "04:a1:b2:c3", Weight: 5},
			{Type: wire.TypePIN, Value: "1234"},
			{Type: wire.TypePIN, Random: true, Weight: 2},
			{Type: wire.TypeFob, Random: true},
			{Type: wire.TypePhone, Value: "tok-1"},
		}},
		{"card:a b", []locks.Credential{{Type: wire.TypeCard, Value: "a b"}}},
	}
	for _, tt := range good {
		got, err := locks.ParseCredentials(tt.spec)
		if err != nil {
			t.Errorf("%q: %v", tt.spec, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("%q: got %+v", tt.spec, got)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%q entry %d = %+v, want %+v", tt.spec, i, got[i], tt.want[i])
			}
		}
	}
	bad := []struct{ name, spec string }{
		{"empty", ""},
		{"blank", "   "},
		{"missing value", "card:"},
		{"missing type", ":1234"},
		{"no colon", "card"},
		{"unknown type", "badge:1"},
		{"time is no credential", "time:1"},
		{"empty entry", "card:1,,pin:2"},
		{"zero weight", "card:1*0"},
		{"bad weight", "card:1*x"},
		{"huge weight", "card:1*99999999999"},
		{"two stars", "card:1*2*3"},
		{"control character", "card:a\x01b"},
		{"non-ASCII", "card:é"},
		{"value too long", "card:" + strings.Repeat("A", 201)},
		{"oversize list", strings.Repeat("card:1,", 10000)},
		{"too many entries", strings.Repeat("card:1,", 1100) + "card:1"},
	}
	for _, tt := range bad {
		_, err := locks.ParseCredentials(tt.spec)
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		if strings.Contains(tt.spec, "é") && strings.Contains(err.Error(), "é") {
			t.Errorf("%s: error repeats the value: %v", tt.name, err)
		}
	}
}

func FuzzParseCredentials(f *testing.F) {
	f.Add("card:04A1B2C3*5,pin:1234,pin:?,card:?")
	f.Fuzz(func(t *testing.T, spec string) {
		creds, err := locks.ParseCredentials(spec)
		if err != nil {
			if creds != nil {
				t.Fatal("credentials returned with an error")
			}
			return
		}
		// Every entry is valid, and writing the list back parses the same.
		parts := make([]string, len(creds))
		for i, c := range creds {
			if !c.Type.IsCredential() || c.Weight < 0 || c.Weight > 1_000_000 || c.Random == (c.Value != "") {
				t.Fatalf("entry %d invalid: %+v", i, c)
			}
			v := c.Value
			if c.Random {
				v = "?"
			}
			parts[i] = c.Type.String() + ":" + v
			if c.Weight > 0 {
				parts[i] += "*" + strconv.Itoa(c.Weight)
			}
		}
		again, err := locks.ParseCredentials(strings.Join(parts, ","))
		if err != nil || len(again) != len(creds) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range again {
			if again[i] != creds[i] {
				t.Fatalf("round trip entry %d: %+v != %+v", i, again[i], creds[i])
			}
		}
	})
}
