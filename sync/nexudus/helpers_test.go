package nexudus_test

import "github.com/lockhub/lockhub/internal/backoff"

func backoffWithJitter(j func() float64) backoff.Config { return backoff.Config{Jitter: j} }
