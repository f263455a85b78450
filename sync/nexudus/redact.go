package nexudus

import (
	"bytes"
	"encoding/json"
	"errors"
)

// redactedValue replaces a secret in a redacted body.
const redactedValue = "[redacted]"

// secretKeys are the normalised keys (normKey) whose values RedactJSON
// replaces, at any depth: PINs, cards, fobs and email addresses.
func isSecretKey(k string) bool {
	switch normKey(k) {
	case "accesspincode", "pincode", "pin", "accesscardid", "accesscard", "cardid", "cardnumber",
		"keyfobnumber", "keyfob", "fob", "email":
		return true
	}
	return false
}

// RedactJSON returns a copy of a JSON document in which the value of every
// PIN, card, fob or email key, at any depth and in any spelling webhooks use,
// is "[redacted]". Keys come out sorted; numbers keep their text. It fails on
// anything that is not one JSON value.
func RedactJSON(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("trailing data after the JSON value")
	}
	return json.Marshal(redact(v))
}

func redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if isSecretKey(k) {
				x[k] = redactedValue
				continue
			}
			x[k] = redact(e)
		}
	case []any:
		for i := range x {
			x[i] = redact(x[i])
		}
	}
	return v
}
