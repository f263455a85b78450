package locks

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/lockhub/lockhub/devices/wire"
)

// Credential is one entry of a traffic run's credential picker.
type Credential struct {
	Type wire.RequestType // card, fob, pin or phone
	// Value is presented as is, unless Random is set: then every tap draws
	// a fresh value (an unknown card, a wrong PIN).
	Value  string
	Random bool
	// Weight is the entry's relative frequency (0 counts as 1).
	Weight int
	// Label names the entry in reports (never the value): "card", "pin",
	// "random_card", ... by default.
	Label string
}

func (c Credential) label() string {
	switch {
	case c.Label != "":
		return c.Label
	case c.Random:
		return "random_" + c.Type.String()
	}
	return c.Type.String()
}

// DefaultCredentials are used when a run names none: unknown cards three
// times as often as wrong PINs.
func DefaultCredentials() []Credential {
	return []Credential{
		{Type: wire.TypeCard, Random: true, Weight: 3},
		{Type: wire.TypePIN, Random: true, Weight: 1},
	}
}

// Limits of ParseCredentials.
const (
	maxCredentialSpec    = 64 << 10
	maxCredentialEntries = 1024
	maxCredentialWeight  = 1_000_000
)

// ParseCredentials reads a credential list as given on a command line:
// comma-separated entries "type:value" or "type:?" (a fresh random value per
// tap), each optionally followed by "*weight". Types are card, fob, pin and
// phone; a value is 1 to 200 printable ASCII characters without ',' or '*'.
// Example: "card:04A1B2C3*5,pin:1234,pin:?,card:?*2". Error messages name the
// entry's position, never its value.
func ParseCredentials(spec string) ([]Credential, error) {
	if len(spec) > maxCredentialSpec {
		return nil, errors.New("credentials: list longer than 64 KiB")
	}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("credentials: empty list")
	}
	parts := strings.Split(spec, ",")
	if len(parts) > maxCredentialEntries {
		return nil, fmt.Errorf("credentials: more than %d entries", maxCredentialEntries)
	}
	out := make([]Credential, 0, len(parts))
	for i, p := range parts {
		c, err := parseCredential(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("credentials: entry %d: %w", i+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func parseCredential(p string) (Credential, error) {
	var c Credential
	if body, w, ok := strings.Cut(p, "*"); ok {
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 || n > maxCredentialWeight {
			return c, errors.New("weight must be an integer 1..1000000")
		}
		c.Weight, p = n, body
	}
	typ, val, ok := strings.Cut(p, ":")
	if !ok {
		return c, errors.New("want type:value")
	}
	switch typ {
	case "card":
		c.Type = wire.TypeCard
	case "fob":
		c.Type = wire.TypeFob
	case "pin":
		c.Type = wire.TypePIN
	case "phone":
		c.Type = wire.TypePhone
	default:
		return c, errors.New("type must be card, fob, pin or phone")
	}
	if val == "?" {
		c.Random = true
		return c, nil
	}
	if len(val) == 0 || len(val) > wire.MaxCredentialLen {
		return c, errors.New("value must be 1 to 200 characters")
	}
	for i := 0; i < len(val); i++ {
		if val[i] < ' ' || val[i] > '~' || val[i] == '*' {
			return c, errors.New("value must be printable ASCII")
		}
	}
	c.Value = val
	return c, nil
}

// Picker draws credentials by weight: a traffic run's choice, and the
// throughput generator's (simulators/tapgen). It is not safe for concurrent
// use (nor is the rng it is given).
type Picker struct {
	creds []Credential
	cum   []int // cumulative weights
}

// NewPicker checks creds (DefaultCredentials when empty) and returns their
// picker.
func NewPicker(creds []Credential) (*Picker, error) {
	if len(creds) == 0 {
		creds = DefaultCredentials()
	}
	p := &Picker{creds: creds, cum: make([]int, len(creds))}
	total := 0
	for i, c := range creds {
		if !c.Type.IsCredential() {
			return nil, fmt.Errorf("credential %d: type %s is not a credential type", i+1, c.Type)
		}
		if !c.Random && c.Value == "" {
			return nil, fmt.Errorf("credential %d: value or random required", i+1)
		}
		total += max(c.Weight, 1)
		p.cum[i] = total
	}
	return p, nil
}

// Pick returns an entry's index and the value to present.
func (p *Picker) Pick(rng *rand.Rand) (int, string) {
	r := rng.IntN(p.cum[len(p.cum)-1])
	i := 0
	for p.cum[i] <= r {
		i++
	}
	c := p.creds[i]
	if !c.Random {
		return i, c.Value
	}
	return i, randomValue(rng, c.Type)
}

// Credential returns entry i.
func (p *Picker) Credential(i int) Credential { return p.creds[i] }

// Label returns entry i's label (its Label, else a name made of its type).
func (p *Picker) Label(i int) string { return p.creds[i].label() }

// randomValue is a credential the hub should not know: a 7-byte card UID,
// a 6-digit PIN, or a 32-character phone token.
func randomValue(rng *rand.Rand, t wire.RequestType) string {
	const hexd = "0123456789ABCDEF"
	var b []byte
	switch t {
	case wire.TypePIN:
		b = make([]byte, 6)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
	case wire.TypePhone:
		b = make([]byte, 32)
		for i := range b {
			b[i] = hexd[rng.IntN(16)]
		}
	default:
		b = make([]byte, 14)
		for i := range b {
			b[i] = hexd[rng.IntN(16)]
		}
	}
	return string(b)
}
