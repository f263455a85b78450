package hub

import (
	"fmt"

	"github.com/lockhub/lockhub/policy"
)

// keySchedule builds the key's policy schedule; its error is a *FieldError
// for the first bad window.
func keySchedule(at string, k *KeyConfig) (policy.Schedule, error) {
	windows := make([]policy.Window, 0, len(k.Schedule))
	for j, w := range k.Schedule {
		wat := fmt.Sprintf("%s.schedule[%d]", at, j)
		pw, err := window(wat, w)
		if err != nil {
			return policy.Schedule{}, err
		}
		windows = append(windows, pw)
	}
	var holidays []policy.Date
	for j, h := range k.Holidays {
		d, err := policy.ParseDate(h)
		if err != nil {
			return policy.Schedule{}, &FieldError{Field: fmt.Sprintf("%s.holidays[%d]", at, j),
				Err: fmt.Errorf("date %q: want YYYY-MM-DD", h)}
		}
		holidays = append(holidays, d)
	}
	s, err := policy.NewSchedule(windows, holidays)
	if err != nil {
		return policy.Schedule{}, &FieldError{Field: at + ".schedule", Err: err}
	}
	return s, nil
}

func window(at string, w WindowConfig) (policy.Window, error) {
	fe := func(field string, err error) error { return &FieldError{Field: at + "." + field, Err: err} }
	if len(w.Days) == 0 {
		return policy.Window{}, fe("days", fmt.Errorf("%w (e.g. [mon-fri] or [all])", ErrRequired))
	}
	days, err := policy.ParseDays(w.Days)
	if err != nil {
		return policy.Window{}, fe("days", err)
	}
	if w.From == "" {
		return policy.Window{}, fe("from", fmt.Errorf("%w (HH:MM)", ErrRequired))
	}
	if w.Until == "" {
		return policy.Window{}, fe("until", fmt.Errorf("%w (HH:MM)", ErrRequired))
	}
	from, err := policy.ParseClock(w.From)
	if err != nil {
		return policy.Window{}, fe("from", err)
	}
	if from >= policy.MinutesPerDay {
		return policy.Window{}, fe("from", fmt.Errorf("time %q: a window cannot start at 24:00", w.From))
	}
	until, err := policy.ParseClock(w.Until)
	if err != nil {
		return policy.Window{}, fe("until", err)
	}
	if until == 0 {
		until = policy.MinutesPerDay // 00:00 as an end is midnight at the end of the day
	}
	if until == from {
		return policy.Window{}, fe("until", fmt.Errorf("window is empty: from equals until (use 00:00 to 24:00 for a whole day)"))
	}
	pw := policy.Window{Days: days, Start: from, End: until}
	if err := pw.Validate(); err != nil {
		return policy.Window{}, &FieldError{Field: at, Err: err}
	}
	return pw, nil
}
