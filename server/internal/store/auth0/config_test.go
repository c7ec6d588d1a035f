package auth0

import (
	"strings"
	"testing"
)

func TestConfigValidateNamesTheVariableAtFault(t *testing.T) {
	valid := Config{Domain: "acme.eu.auth0.com", ClientID: "id", ClientSecret: "s3cr3t-value"}
	tests := []struct {
		name string
		mod  func(*Config)
		want string // substring of the error; "" for a valid config
	}{
		{"a tenant domain is valid", func(*Config) {}, ""},
		{"an https URL is valid", func(c *Config) { c.Domain = "https://acme.eu.auth0.com" }, ""},
		{"an https URL with a trailing slash is valid", func(c *Config) { c.Domain = "https://acme.eu.auth0.com/" }, ""},
		{"http on 127.0.0.1 is valid", func(c *Config) { c.Domain = "http://127.0.0.1:8081" }, ""},
		{"http on 127.0.0.0/8 is valid", func(c *Config) { c.Domain = "http://127.3.2.1:8081" }, ""},
		{"http on ::1 is valid", func(c *Config) { c.Domain = "http://[::1]:8081" }, ""},
		{"http on localhost is valid", func(c *Config) { c.Domain = "http://localhost:8081" }, ""},
		{"a missing domain", func(c *Config) { c.Domain = "" }, "AUTH0_DOMAIN: required"},
		{"http on a public host", func(c *Config) { c.Domain = "http://acme.eu.auth0.com" }, "AUTH0_DOMAIN: http:// is allowed only for loopback"},
		{"http on a private address", func(c *Config) { c.Domain = "http://10.0.0.1:8080" }, "AUTH0_DOMAIN: http:// is allowed only for loopback"},
		{"a domain with a path", func(c *Config) { c.Domain = "acme.eu.auth0.com/api/v2" }, "AUTH0_DOMAIN"},
		{"a URL with a path", func(c *Config) { c.Domain = "http://127.0.0.1:8080/api" }, "AUTH0_DOMAIN"},
		{"a URL with a query", func(c *Config) { c.Domain = "https://acme.eu.auth0.com?x=1" }, "AUTH0_DOMAIN"},
		{"another scheme", func(c *Config) { c.Domain = "ftp://acme.eu.auth0.com" }, "AUTH0_DOMAIN: scheme"},
		{"a missing client id", func(c *Config) { c.ClientID = " " }, "AUTH0_CLIENT_ID: required"},
		{"a missing client secret", func(c *Config) { c.ClientSecret = "" }, "AUTH0_CLIENT_SECRET: required"},
		{"a negative cache size", func(c *Config) { c.CacheSize = -1 }, "CacheSize must not be negative"},
		{"a negative rate", func(c *Config) { c.ReadsPerSecond = -1 }, "ReadsPerSecond must not be negative"},
		{"a negative attempt timeout", func(c *Config) { c.AttemptTimeout = -1 }, "AttemptTimeout must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.mod(&cfg)
			err := cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), valid.ClientSecret):
				t.Errorf("Validate() error %q reveals the client secret", err)
			}
			if err != nil {
				if _, nerr := New(t.Context(), cfg); nerr == nil {
					t.Errorf("New accepted a config Validate rejects")
				}
			}
		})
	}
}
