package nexudus_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lockhub/lockhub/sync/nexudus"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/ ("go test fuzz v1" files).

func FuzzDecodeEnvelope(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzPage[nexudus.Coworker](t, "Coworker", data)
		fuzzPage[nexudus.Booking](t, "Booking", data)
	})
}

// fuzzPage checks that a page decodes or fails with a DecodeError, and that
// a decoded page survives a round trip unchanged.
func fuzzPage[T any](t *testing.T, entity string, data []byte) {
	p, err := nexudus.DecodePage[T](entity, data)
	if err != nil {
		var de *nexudus.DecodeError
		if !errors.As(err, &de) || de.Entity != entity {
			t.Fatalf("error %v (%T) is not a DecodeError for %s", err, err, entity)
		}
		return
	}
	if p.Records == nil {
		t.Fatal("decoded page has nil Records")
	}
	once, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	p2, err := nexudus.DecodePage[T](entity, once)
	if err != nil {
		t.Fatalf("decode of re-encoded page: %v\n%s", err, once)
	}
	twice, _ := json.Marshal(p2)
	if !bytes.Equal(once, twice) {
		t.Fatalf("round trip changed the page:\n%s\n%s", once, twice)
	}
}

func FuzzDecodeWebhook(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := nexudus.DecodeWebhook(bytes.NewReader(data), 4096)
		if err != nil {
			tooLarge, malformed := errors.Is(err, nexudus.ErrWebhookTooLarge), errors.Is(err, nexudus.ErrWebhookMalformed)
			if tooLarge == malformed {
				t.Fatalf("error %v must be exactly one of too-large and malformed", err)
			}
			if tooLarge != (len(data) > 4096) {
				t.Fatalf("too-large = %v for %d bytes", tooLarge, len(data))
			}
			return
		}
		if w.Groups == nil || !slices.IsSorted(w.Groups) || len(slices.Compact(slices.Clone(w.Groups))) != len(w.Groups) {
			t.Fatalf("Groups %q not a sorted set", w.Groups)
		}
		if w.Business.UniqueID == "" || w.Coworker.UniqueID == "" || w.Time.IsZero() || w.Time.Location() != time.UTC {
			t.Fatalf("required fields missing in %+v", w)
		}
		// The redacted copy decodes to the same webhook minus its secrets.
		r, err := nexudus.DecodeWebhook(bytes.NewReader(w.Redacted()), 0)
		if err != nil {
			t.Fatalf("redacted body does not decode: %v\n%s", err, w.Redacted())
		}
		c := r.Coworker
		for _, v := range []string{c.AccessPincode, c.AccessCardID, c.KeyFobNumber, c.Email} {
			if v != "" && v != "[redacted]" {
				t.Fatalf("redacted body still has a secret %q", v)
			}
		}
		if !slices.Equal(r.Groups, w.Groups) || r.Business != w.Business || r.Coworker.UniqueID != w.Coworker.UniqueID ||
			!r.Time.Equal(w.Time) || len(r.Schedule) != len(w.Schedule) {
			t.Fatalf("redaction changed non-secret fields:\n%+v\n%+v", w, r)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	loc := time.FixedZone("x", 5*3600+1800)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := nexudus.ParseTime(s)
		if err != nil || v.IsZero() {
			return
		}
		back, err := nexudus.ParseTime(v.String())
		if err != nil {
			t.Fatalf("ParseTime(%q).String() = %q does not parse: %v", s, v.String(), err)
		}
		if !back.Wall().Equal(v.Wall()) || back.HasZone() != v.HasZone() ||
			!back.Instant(nexudus.TimeModeUTC, nil).Equal(v.Instant(nexudus.TimeModeUTC, nil)) ||
			!back.Instant(nexudus.TimeModeWallclock, loc).Equal(v.Instant(nexudus.TimeModeWallclock, loc)) {
			t.Fatalf("round trip of %q via %q changed the value", s, v.String())
		}
	})
}

func FuzzSplitCards(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		toks := nexudus.SplitCards(s)
		var joined strings.Builder
		for _, tok := range toks {
			if tok == "" {
				t.Fatalf("empty token from %q", s)
			}
			if again := nexudus.SplitCards(tok); len(again) != 1 || again[0] != tok {
				t.Fatalf("token %q of %q still splits: %q", tok, s, again)
			}
			joined.WriteString(tok)
		}
		var rest strings.Builder
		for _, tok := range nexudus.SplitCards(strings.Join(toks, ",")) {
			rest.WriteString(tok)
		}
		if rest.String() != joined.String() {
			t.Fatalf("re-splitting the joined tokens of %q changed them", s)
		}
		if joined.Len() > len(s) {
			t.Fatalf("tokens of %q are longer than the input", s)
		}
	})
}
