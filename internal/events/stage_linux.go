package events

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// stageSupported: the stage needs shared file mappings.
const stageSupported = true

func allocate(f *os.File, n int64) error {
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, n); err != nil {
		return fmt.Errorf("reserve %d bytes: %w", n, err)
	}
	return nil
}

func mapShared(f *os.File, n int) ([]byte, error) {
	b, err := syscall.Mmap(int(f.Fd()), 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map: %w", err)
	}
	return b, nil
}

func unmapShared(b []byte) error {
	if b == nil {
		return nil
	}
	return syscall.Munmap(b)
}

func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|syscall.O_NOFOLLOW, 0)
}

// checkOwned refuses a stage file that is not a regular file of this user
// with no access for others: /dev/shm is shared by every user.
func checkOwned(fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular():
		return errors.New("not a regular file")
	case !ok || int(st.Uid) != os.Getuid():
		return errors.New("owned by another user")
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("mode %v: open to other users", fi.Mode().Perm())
	}
	return nil
}

// isMemoryFS reports whether dir is on tmpfs (or ramfs), where a mapped
// write never waits for a disk.
func isMemoryFS(dir string) bool {
	var s syscall.Statfs_t
	if syscall.Statfs(dir, &s) != nil {
		return false
	}
	const tmpfsMagic, ramfsMagic = 0x01021994, 0x858458f6
	return s.Type == tmpfsMagic || s.Type == ramfsMagic
}
