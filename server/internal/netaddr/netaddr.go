// Package netaddr answers questions about network addresses shared by the configuration, the
// Auth0 store and the token verifier. It does no I/O.
package netaddr

import (
	"net"
	"strings"
)

// IsLoopbackHost reports whether host (a name or an IP address, without port) is localhost or
// a loopback IP address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
