package nexudus

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// applyFilters keeps the rows that match every filter (nexudus.md §3.2).
func applyFilters(rows []row, fs []filter) ([]row, error) {
	if len(fs) == 0 || len(rows) == 0 {
		return rows, nil
	}
	type bound struct {
		key string
		f   filter
		t   time.Time
		day bool
	}
	bs := make([]bound, 0, len(fs))
	for _, f := range fs {
		key, ok := resolveProp(rows[0], f.prop)
		if !ok {
			continue // unknown properties are ignored, as query binding does
		}
		b := bound{key: key, f: f}
		if f.kind != '=' || isTime(rows, key) {
			if t, day, err := parseFilterTime(f.value); err == nil {
				b.t, b.day = t, day
			} else if f.kind != '=' {
				if _, nerr := strconv.Atoi(f.value); nerr != nil {
					return nil, fmt.Errorf("%s: %w", f.prop, err)
				}
			}
		}
		bs = append(bs, b)
	}
	out := make([]row, 0, len(rows))
next:
	for _, r := range rows {
		for _, b := range bs {
			if !match(r[b.key], b.f, b.t, b.day) {
				continue next
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// isTime reports whether key holds times in any row (it may be null in some).
func isTime(rows []row, key string) bool {
	for _, r := range rows {
		switch r[key].(type) {
		case jtime:
			return true
		case nil:
			continue
		}
		return false
	}
	return false
}

func match(v any, f filter, t time.Time, day bool) bool {
	switch x := v.(type) {
	case nil:
		return f.kind == '=' && (f.value == "" || strings.EqualFold(f.value, "null"))
	case jtime:
		if t.IsZero() {
			return false
		}
		n := x.naive
		switch f.kind {
		case '>':
			return !n.Before(t)
		case '<':
			if day {
				return n.Before(t.AddDate(0, 0, 1))
			}
			return !n.Truncate(time.Minute).After(t)
		}
		if day {
			return n.Truncate(24 * time.Hour).Equal(t)
		}
		return n.Truncate(time.Minute).Equal(t.Truncate(time.Minute))
	case bool:
		b, err := strconv.ParseBool(f.value)
		return err == nil && f.kind == '=' && b == x
	case int:
		n, err := strconv.Atoi(f.value)
		if err != nil {
			return false
		}
		switch f.kind {
		case '>':
			return x >= n
		case '<':
			return x <= n
		}
		return x == n
	case string:
		return f.kind == '=' && strings.EqualFold(x, f.value)
	}
	return false
}

func compareValues(a, b any) int {
	switch x := a.(type) {
	case nil:
		if b == nil {
			return 0
		}
		return -1
	case int:
		if y, ok := b.(int); ok {
			return cmp.Compare(x, y)
		}
	case string:
		if y, ok := b.(string); ok {
			return cmp.Compare(strings.ToLower(x), strings.ToLower(y))
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmp.Compare(boolInt(x), boolInt(y))
		}
	case jtime:
		if y, ok := b.(jtime); ok {
			return x.naive.Compare(y.naive)
		}
	}
	if b == nil {
		return 1
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
