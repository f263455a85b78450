//go:build !linux

package events

import (
	"errors"
	"io/fs"
	"os"
)

// stageSupported: the stage is implemented for Linux only.
const stageSupported = false

var errNoStage = errors.New("events stage: not supported on this system")

func allocate(*os.File, int64) error          { return errNoStage }
func mapShared(*os.File, int) ([]byte, error) { return nil, errNoStage }
func unmapShared([]byte) error                { return nil }
func openNoFollow(string) (*os.File, error)   { return nil, errNoStage }
func checkOwned(fs.FileInfo) error            { return errNoStage }
func isMemoryFS(string) bool                  { return false }
