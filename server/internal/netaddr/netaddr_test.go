package netaddr

import (
	"net/url"
	"testing"
)

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "127.0.0.1": true, "127.8.9.10": true, "::1": true,
		"": false, "0.0.0.0": false, "::": false, "10.0.0.1": false, "example.com": false, "localhost.example.com": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestTenantURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"acme.eu.auth0.com", "https://acme.eu.auth0.com"},
		{" acme.eu.auth0.com ", "https://acme.eu.auth0.com"},
		{"https://acme.eu.auth0.com/", "https://acme.eu.auth0.com"},
		{"http://127.0.0.1:4000", "http://127.0.0.1:4000"},
		{"http://localhost:4000/", "http://localhost:4000"},
		{"", ""},
		{"acme.eu.auth0.com/api", ""},
		{"http://acme.eu.auth0.com", ""},
		{"https://acme.eu.auth0.com/api/v2", ""},
		{"ftp://127.0.0.1", ""},
		{"https://user@acme.eu.auth0.com", ""},
	} {
		u, err := TenantURL(tt.in)
		got := ""
		if err == nil {
			got = u.String()
		}
		if got != tt.want {
			t.Errorf("TenantURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestIsLoopbackHostHeader(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "localhost:8080": true, "LOCALHOST:1": true, "127.0.0.1": true, "127.1.2.3:80": true,
		"[::1]": true, "[::1]:8080": true, "::1": true,
		"": false, "evil.example": false, "evil.example:8080": false, "localhost.": false, "sub.localhost": false,
		"127.0.0.1.nip.io": false, "2130706433": false, "[fe80::1]": false, "localhost:8080:1": false,
	} {
		if got := IsLoopbackHostHeader(host); got != want {
			t.Errorf("IsLoopbackHostHeader(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestCheckScheme(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://acme.eu.auth0.com/": true, "https://10.0.0.1:8443": true,
		"http://127.0.0.1:4000": true, "http://localhost/.well-known/jwks.json": true, "http://[::1]:80": true,
		"http://acme.eu.auth0.com/": false, "http://10.0.0.1": false, "ftp://127.0.0.1": false, "//acme.eu.auth0.com": false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckScheme(u); (err == nil) != ok {
			t.Errorf("CheckScheme(%q) = %v, want ok=%v", raw, err, ok)
		}
	}
}
