package hub

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration read from YAML as a Go duration ("90s", "5m",
// "1h30m") with an optional leading whole number of days ("30d", "7d12h").
// A day is 24 hours: durations here are spans, not calendar dates.
type Duration time.Duration

// ParseDuration reads a Duration: a Go duration, optionally led by a whole
// number of days ("7d", "7d12h", "-1d"). A bare "0" is zero; any other bare
// number is refused, because its unit would be a guess.
func ParseDuration(s string) (Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, errors.New("empty duration")
	}
	neg := false
	rest := in
	if rest[0] == '-' || rest[0] == '+' {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	var days int64
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n < 0 || rest[:i] == "" || rest[0] == '+' || rest[0] == '-' {
			return 0, fmt.Errorf("duration %q: want a whole number of days before d, as in 7d or 7d12h", in)
		}
		days = n
		rest = rest[i+1:]
	}
	var d time.Duration
	if rest != "" {
		if rest[0] == '+' || rest[0] == '-' {
			return 0, fmt.Errorf("duration %q: sign only allowed at the start", in)
		}
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, fmt.Errorf("duration %q: want a duration such as 50ms, 30s, 5m, 1h30m or 7d", in)
		}
	}
	const day = int64(24 * time.Hour)
	if days > (math.MaxInt64-int64(d))/day {
		return 0, fmt.Errorf("duration %q: too large", in)
	}
	total := days*day + int64(d)
	if neg {
		total = -total
	}
	return Duration(total), nil
}

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats the duration the way ParseDuration reads it: whole days
// first, then hours, minutes and seconds without zero units ("7d", "1d12h",
// "1h30m", "50ms").
func (d Duration) String() string {
	const day = 24 * time.Hour
	t := time.Duration(d)
	if t == 0 {
		return "0s"
	}
	sign := ""
	if t < 0 {
		if t == math.MinInt64 {
			return t.String()
		}
		sign, t = "-", -t
	}
	var b strings.Builder
	b.WriteString(sign)
	if days := t / day; days > 0 {
		b.WriteString(strconv.FormatInt(int64(days), 10))
		b.WriteString("d")
		t -= days * day
	}
	if t > 0 {
		s := t.String()
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		b.WriteString(s)
	}
	return b.String()
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeError(n, "cannot unmarshal "+n.ShortTag()+" into hub.Duration")
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return typeError(n, err.Error())
	}
	*d = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// ByteSize is a size in bytes read from YAML as a whole number of bytes or a
// number with a unit: B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB, TiB
// (powers of 1024), as in "64MiB" or "1 GiB".
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// ParseByteSize reads a ByteSize.
func ParseByteSize(s string) (ByteSize, error) {
	in := strings.TrimSpace(s)
	num, mult := in, int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(in, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(in, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: want a whole number of bytes or a size such as 512KiB, 64MiB or 1GiB", in)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q: too large", in)
	}
	return ByteSize(n * mult), nil
}

// String formats the size with the largest binary unit that divides it.
func (b ByteSize) String() string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.mult == 0 {
			return strconv.FormatInt(int64(b)/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeError(n, "cannot unmarshal "+n.ShortTag()+" into hub.ByteSize")
	}
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return typeError(n, err.Error())
	}
	*b = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// typeError reports a bad value the way yaml.v3 reports its own, so that the
// decoder keeps going and LoadConfig can attach the field path.
func typeError(n *yaml.Node, msg string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, msg)}}
}
