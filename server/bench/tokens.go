package main

import (
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
)

// authEnv is the server configuration that turns caller auth on against iss, a loopback
// stand-in for an Auth0 tenant's token side.
func authEnv(iss *authtest.Issuer) map[string]string {
	return map[string]string{
		"AUTH0_DOMAIN":   iss.URL(),
		"AUTH0_ISSUER":   iss.Issuer(),
		"AUTH0_AUDIENCE": authtest.Audience,
	}
}

// bearers signs "Bearer <token>" for users 0 to n-1 and one for a backend service allowed to
// read every profile (read:profiles).
func bearers(iss *authtest.Issuer, n int) (users []string, service string, err error) {
	users = make([]string, n)
	for u := range users {
		tok, err := iss.Sign(map[string]any{"sub": userID(u)})
		if err != nil {
			return nil, "", err
		}
		users[u] = "Bearer " + tok
	}
	tok, err := iss.Sign(authtest.ServiceClaims("bench-backend", "read:profiles"))
	return users, "Bearer " + tok, err
}
