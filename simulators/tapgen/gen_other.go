//go:build !linux

package tapgen

import (
	"context"
	"errors"
	"log/slog"

	"github.com/lockhub/lockhub/simulators/locks"
)

// New needs epoll: Linux only.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Gen, error) {
	return nil, errors.New("tapgen: Linux only (epoll)")
}

// Run is never reached (New fails).
func (g *Gen) Run(ctx context.Context, t Traffic) (locks.TrafficReport, error) {
	return locks.TrafficReport{}, errors.New("tapgen: Linux only (epoll)")
}

// Close does nothing.
func (g *Gen) Close() {}

type poller struct{}
