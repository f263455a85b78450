//go:build !linux

package devices

import "net"

// sysConnOf returns c as it is: raw socket calls are Linux-only
// (sysconn_linux.go).
func sysConnOf(c net.Conn) net.Conn { return c }
