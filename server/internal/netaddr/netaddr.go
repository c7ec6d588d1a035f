// Package netaddr answers questions about network addresses and the Auth0 domain setting,
// shared by the configuration, the Auth0 store and the token verifier. It does no I/O.
package netaddr

import (
	"errors"
	"fmt"
	"net"
	"net/url"
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

// IsLoopbackHostHeader reports whether an HTTP Host header value (a host, a host:port, or an
// IPv6 address in brackets with or without a port) names a loopback host. A server that trusts
// loopback callers uses it against DNS rebinding: a page whose host name an attacker points at
// 127.0.0.1 sends its own host name, which is refused.
func IsLoopbackHostHeader(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	return host != "" && IsLoopbackHost(host)
}

// TenantURL parses an Auth0 domain setting into the tenant's base URL (scheme and host only): a
// bare domain such as acme.eu.auth0.com means https; a full URL without a path is accepted with
// https, or with http for loopback hosts only (local test servers).
func TenantURL(domain string) (*url.URL, error) {
	d := strings.TrimSpace(domain)
	if d == "" {
		return nil, errors.New("required")
	}
	raw := d
	if !strings.Contains(d, "://") {
		if strings.ContainsAny(d, "/?#@ ") {
			return nil, fmt.Errorf("%q must be a bare domain such as acme.eu.auth0.com, without a path", d)
		}
		raw = "https://" + d
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a domain or URL", d)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("%q must be a domain or scheme://host[:port], without a path", d)
	}
	if err := CheckScheme(u); err != nil {
		return nil, err
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// CheckScheme is the one rule on how the service reaches Auth0 (the tenant, its keys, the
// issuer it names): over https, or over http only on a loopback host, where a local double of
// Auth0 runs in tests.
func CheckScheme(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if !IsLoopbackHost(u.Hostname()) {
			return fmt.Errorf("http:// is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost), not %q", u.Hostname())
		}
		return nil
	}
	return fmt.Errorf("scheme %q is not https (or http for loopback hosts)", u.Scheme)
}
