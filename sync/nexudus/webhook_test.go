package nexudus_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/sync/nexudus"
)

// documented is the example of nexudus.md §2 (shape per [S3]).
const documented = `{ "time": "2025-03-04T08:44:10.1234567Z",
  "business": { "id": 2201, "name": "Harbour Works", "uniqueId": "0b6f-guid" },
  "coworker": { "id": 88412, "email": "ana@example.org", "uniqueId": "5c1e-guid",
                "accessPincode": "40417", "accessCardId": "04A1B2C3", "keyFobNumber": "", "fullName": "Ana Ruiz" },
  "groups": ["grp-room-3", "grp-lobby", "grp-room-3"],
  "schedule": [ { "group": "grp-room-3", "expires_on": "2025-03-04T11:15:00Z" } ] }`

func TestDecodeWebhookDocumentedExample(t *testing.T) {
	w, err := nexudus.DecodeWebhook(strings.NewReader(documented), 0)
	if err != nil {
		t.Fatalf("DecodeWebhook: %v", err)
	}
	if !w.Time.Equal(time.Date(2025, 3, 4, 8, 44, 10, 123456700, time.UTC)) {
		t.Errorf("Time = %v", w.Time)
	}
	if w.Business != (nexudus.WebhookBusiness{ID: 2201, Name: "Harbour Works", UniqueID: "0b6f-guid"}) {
		t.Errorf("Business = %+v", w.Business)
	}
	want := nexudus.WebhookCoworker{ID: 88412, UniqueID: "5c1e-guid", Email: "ana@example.org", FullName: "Ana Ruiz",
		AccessPincode: "40417", AccessCardID: "04A1B2C3"}
	if w.Coworker != want {
		t.Errorf("Coworker = %+v, want %+v", w.Coworker, want)
	}
	if fmt.Sprint(w.Groups) != "[grp-lobby grp-room-3]" {
		t.Errorf("Groups = %v, want the deduplicated, sorted set", w.Groups)
	}
	exp, ok := w.Expiry("grp-room-3")
	if !ok || !exp.Equal(time.Date(2025, 3, 4, 11, 15, 0, 0, time.UTC)) {
		t.Errorf("Expiry(grp-room-3) = %v, %v", exp, ok)
	}
	if _, ok := w.Expiry("grp-lobby"); ok {
		t.Error("grp-lobby has no schedule entry but Expiry found one")
	}
	red := string(w.Redacted())
	for _, secret := range []string{"40417", "04A1B2C3", "ana@example.org"} {
		if strings.Contains(red, secret) {
			t.Errorf("Redacted() still holds %q: %s", secret, red)
		}
	}
	for _, kept := range []string{"5c1e-guid", "0b6f-guid", "grp-room-3", "Ana Ruiz", "2025-03-04T11:15:00Z"} {
		if !strings.Contains(red, kept) {
			t.Errorf("Redacted() lost %q: %s", kept, red)
		}
	}
}

func TestDecodeWebhookKeySpellings(t *testing.T) {
	for _, tc := range []struct {
		name, coworker           string
		card, fob, fullName, pin string
	}{
		{"documented guesses", `"accessCardId":"C1","keyFobNumber":"F1","fullName":"N1","accessPincode":"1234"`, "C1", "F1", "N1", "1234"},
		{"short aliases", `"accessCard":"C2","fob":"F2","name":"N2"`, "C2", "F2", "N2", ""},
		{"cardId", `"cardId":"C3"`, "C3", "", "", ""},
		{"case-insensitive", `"ACCESSCARDID":"C4","KeyFobNumber":"F4","FULLNAME":"N4","AccessPinCode":"5678"`, "C4", "F4", "N4", "5678"},
		{"snake case", `"access_card_id":"C5","key_fob_number":"F5","full_name":"N5","access_pincode":"0001"`, "C5", "F5", "N5", "0001"},
		{"numbers as text", `"accessCardId":12345678,"accessPincode":4041`, "12345678", "", "", "4041"},
		{"nulls", `"accessCardId":null,"keyFobNumber":null,"fullName":null`, "", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"time":"2025-03-04T08:44:10Z","business":{"uniqueId":"b"},"coworker":{"uniqueId":"c",` + tc.coworker + `},"groups":[]}`
			w, err := nexudus.DecodeWebhook(strings.NewReader(body), 0)
			if err != nil {
				t.Fatalf("DecodeWebhook: %v", err)
			}
			c := w.Coworker
			if c.AccessCardID != tc.card || c.KeyFobNumber != tc.fob || c.FullName != tc.fullName || c.AccessPincode != tc.pin {
				t.Fatalf("coworker = %+v, want card %q fob %q name %q pin %q", c, tc.card, tc.fob, tc.fullName, tc.pin)
			}
		})
	}
}

func TestDecodeWebhookGroupsAreState(t *testing.T) {
	for _, tc := range []struct{ groups, want string }{
		{`[]`, "[]"}, // revoke everything (Q3)
		{`null`, "[]"},
		{`[1, "2", "", "2"]`, "[1 2]"},
	} {
		body := `{"time":"2025-03-04T08:44:10Z","business":{"uniqueId":"b"},"coworker":{"uniqueId":"c"},"groups":` + tc.groups + `}`
		w, err := nexudus.DecodeWebhook(strings.NewReader(body), 0)
		if err != nil {
			t.Fatalf("groups %s: %v", tc.groups, err)
		}
		if w.Groups == nil || fmt.Sprint(w.Groups) != tc.want {
			t.Errorf("groups %s decoded to %#v, want %s (non-nil)", tc.groups, w.Groups, tc.want)
		}
	}
}

func TestDecodeWebhookRejects(t *testing.T) {
	without := func(path ...string) string {
		var m map[string]any
		json.Unmarshal([]byte(documented), &m)
		if len(path) == 1 {
			delete(m, path[0])
		} else {
			delete(m[path[0]].(map[string]any), path[1])
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	replace := func(key string, v any) string {
		var m map[string]any
		json.Unmarshal([]byte(documented), &m)
		m[key] = v
		b, _ := json.Marshal(m)
		return string(b)
	}
	for _, tc := range []struct {
		name, body, field string
	}{
		{"empty", ``, ""},
		{"garbage", `<xml>hello</xml>`, ""},
		{"array", `[1,2]`, ""},
		{"trailing data", documented + ` {}`, ""},
		{"truncated", documented[:60], ""},
		{"no time", without("time"), "time"},
		{"bad time", replace("time", "yesterday"), "time"},
		{"no business", without("business"), "business"},
		{"no business uniqueId", without("business", "uniqueId"), "business.uniqueId"},
		{"no coworker uniqueId", without("coworker", "uniqueId"), "coworker.uniqueId"},
		{"no groups", without("groups"), "groups"},
		{"groups not an array", replace("groups", "grp-lobby"), "groups"},
		{"groups of objects", replace("groups", []any{map[string]any{"id": 1}}), "groups"},
		{"schedule not an array", replace("schedule", 5), "schedule"},
		{"schedule without group", replace("schedule", []any{map[string]any{"expires_on": "2025-03-04T11:15:00Z"}}), "schedule[0].group"},
		{"schedule bad expiry", replace("schedule", []any{map[string]any{"group": "g", "expires_on": "soon"}}), "schedule[0].expires_on"},
		{"coworker id not a number", `{"time":"2025-03-04T08:44:10Z","business":{"uniqueId":"b"},"coworker":{"uniqueId":"c","id":"x1"},"groups":[]}`, "coworker.id"},
		{"card as object", `{"time":"2025-03-04T08:44:10Z","business":{"uniqueId":"b"},"coworker":{"uniqueId":"c","accessCardId":{"v":"04SECRET"}},"groups":[]}`, "coworker.accessCardId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := nexudus.DecodeWebhook(strings.NewReader(tc.body), 0)
			var we *nexudus.WebhookError
			if !errors.Is(err, nexudus.ErrWebhookMalformed) || errors.Is(err, nexudus.ErrWebhookTooLarge) || !errors.As(err, &we) {
				t.Fatalf("error = %v, want a malformed-body WebhookError", err)
			}
			if we.Field != tc.field {
				t.Fatalf("Field = %q, want %q (%v)", we.Field, tc.field, err)
			}
			for _, secret := range []string{"40417", "04A1B2C3", "ana@example.org", "04SECRET"} {
				if strings.Contains(err.Error(), secret) || bytes.Contains(we.Redacted, []byte(secret)) {
					t.Fatalf("error or its redacted body leaks %q", secret)
				}
			}
		})
	}
}

func TestDecodeWebhookSizeLimit(t *testing.T) {
	pad := strings.Repeat(" ", nexudus.DefaultWebhookLimit)
	_, err := nexudus.DecodeWebhook(strings.NewReader(documented+pad), 0)
	if !errors.Is(err, nexudus.ErrWebhookTooLarge) || errors.Is(err, nexudus.ErrWebhookMalformed) {
		t.Fatalf("1 MiB + body: %v, want ErrWebhookTooLarge (413)", err)
	}
	if _, err := nexudus.DecodeWebhook(strings.NewReader(documented), int64(len(documented))); err != nil {
		t.Fatalf("a body of exactly the limit: %v", err)
	}
	if _, err := nexudus.DecodeWebhook(strings.NewReader(documented), int64(len(documented)-1)); !errors.Is(err, nexudus.ErrWebhookTooLarge) {
		t.Fatalf("a body one byte over the limit: %v", err)
	}
}

func TestLateWebhookKeepsPastExpiries(t *testing.T) {
	// Q18 is the caller's rule (drop expired groups); the decoder must keep
	// the expiry as sent, never extend or drop it.
	body := strings.Replace(documented, "2025-03-04T11:15:00Z", "2025-03-04T08:00:00Z", 1)
	w, err := nexudus.DecodeWebhook(strings.NewReader(body), 0)
	if err != nil {
		t.Fatal(err)
	}
	if exp, _ := w.Expiry("grp-room-3"); !exp.Before(w.Time) {
		t.Fatalf("expiry %v should be before the webhook time %v", exp, w.Time)
	}
}

func TestRedactJSON(t *testing.T) {
	in := `{"a":{"Email":"x@y","list":[{"pin":"1234","fob":"F"}],"cardNumber":7},"n":1.50,"name":"kept"}`
	out, err := nexudus.RedactJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":{"Email":"[redacted]","cardNumber":"[redacted]","list":[{"fob":"[redacted]","pin":"[redacted]"}]},"n":1.50,"name":"kept"}`
	if string(out) != want {
		t.Fatalf("RedactJSON =\n%s\nwant\n%s", out, want)
	}
	for _, bad := range []string{``, `{`, `{} {}`, `nope`} {
		if _, err := nexudus.RedactJSON([]byte(bad)); err == nil {
			t.Errorf("RedactJSON(%q) succeeded", bad)
		}
	}
}

func TestSplitCards(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "[]"},
		{"04A1B2C3", "[04A1B2C3]"},
		{"04A1B2C3,04A1B2C4", "[04A1B2C3 04A1B2C4]"},
		{" 04a1 ; 0x04A2\t04A3\n04A4 ,, ;", "[04a1 0x04A2 04A3 04A4]"},
		{"a\u00a0b\u3000c\ufeffd", "[a b c d]"},
		{",;  \t", "[]"},
	} {
		if got := fmt.Sprint(nexudus.SplitCards(tc.in)); got != tc.want {
			t.Errorf("SplitCards(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestLogValuesHideSecrets(t *testing.T) {
	w, err := nexudus.DecodeWebhook(strings.NewReader(documented), 0)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("webhook", "webhook", w, "coworker", w.Coworker,
		"rest_coworker", nexudus.Coworker{AccessCardID: "04A1B2C3", AccessPincode: "40417", Email: "ana@example.org"})
	for _, secret := range []string{"40417", "04A1B2C3", "ana@example.org"} {
		if strings.Contains(buf.String(), secret) {
			t.Fatalf("log line leaks %q: %s", secret, buf.String())
		}
	}
	if !strings.Contains(buf.String(), "5c1e-guid") {
		t.Fatalf("log line lost the coworker's unique id: %s", buf.String())
	}
}
