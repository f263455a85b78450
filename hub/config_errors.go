package hub

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// FieldError is one problem in a site configuration, at a field path such as
// "locks[2].offline_horizon".
type FieldError struct {
	// Field is the path of the setting; empty for problems of the whole file.
	Field string
	// Line is the line in the file, when known (decode errors); 0 otherwise.
	Line int
	Err  error
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.Line > 0 {
		b.WriteString(" (line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(")")
	}
	return b.String()
}

func (e *FieldError) Unwrap() error { return e.Err }

// ConfigError lists every problem found in a site configuration.
type ConfigError struct {
	Problems []*FieldError
}

// Error lists the problems, one a line.
func (e *ConfigError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid config: " + e.Problems[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid config: %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n\t")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so errors.Is and errors.As see each of them.
func (e *ConfigError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// Sentinel errors inside FieldErrors, for errors.Is.
var (
	ErrRequired     = errors.New("required")
	ErrNotPositive  = errors.New("must be positive")
	ErrUnknownField = errors.New("unknown field")
	ErrDuplicateID  = errors.New("duplicate id")
)

// problems collects FieldErrors.
type problems []*FieldError

func (p *problems) add(field string, err error) {
	*p = append(*p, &FieldError{Field: field, Err: err})
}

func (p *problems) addf(field, format string, args ...any) {
	p.add(field, fmt.Errorf(format, args...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ConfigError{Problems: p}
}
