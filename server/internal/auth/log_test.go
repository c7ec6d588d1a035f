package auth_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/acme/progressive-profiling/server/internal/testlog"
)

// reasons returns the "reason" attribute of every record logged since the last call.
func reasons(t *testing.T, b *testlog.Buffer) []string {
	t.Helper()
	var out []string
	for _, rec := range b.Take(t) {
		if r, ok := rec["reason"].(string); ok {
			out = append(out, r)
		}
	}
	return out
}

func debugLogger(b *testlog.Buffer) func(*auth.Config) {
	return func(c *auth.Config) {
		c.Logger = b.JSONLogger(slog.LevelDebug)
	}
}

func TestRejectionsAreLoggedWithTheirReasonAtDebug(t *testing.T) {
	iss := authtest.NewIssuer(t)
	logs := &testlog.Buffer{}
	v := newVerifier(t, config(iss, debugLogger(logs)))
	if _, err := v.Verify(t.Context(), iss.UserToken(t, "auth0|alice")); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	reasons(t, logs)

	want := map[string]string{
		"malformed":           "malformed token",
		"malformed segments":  "malformed token",
		"raw JSON claims":     "malformed token",
		"JSON-serialized JWS": "malformed token",
		"alg none":            "signing algorithm not allowed",
		"HS256 with the public key PEM as secret": "signing algorithm not allowed",
		"HS256 with the public key DER as secret": "signing algorithm not allowed",
		"RS384 with the tenant key":               "signing algorithm not allowed",
		"PS256 with the tenant key":               "signing algorithm not allowed",
		"ES256 reusing the known kid":             "signing algorithm not allowed",
		"other key reusing the known kid":         "bad signature",
		"unknown kid":                             "unknown signing key id (JWKS refresh throttled)",
		"missing kid":                             "missing kid",
		"tampered payload":                        "bad signature",
		"expired":                                 "token expired",
		"not yet valid":                           "token not yet valid",
		"issued in the future":                    "token issued in the future",
		"wrong issuer":                            "wrong issuer",
		"issuer without trailing slash":           "wrong issuer",
		"wrong audience":                          "wrong audience",
		"audience array without ours":             "wrong audience",
		"missing audience":                        "wrong audience",
		"missing sub":                             "missing required claim",
		"empty sub":                               "empty sub claim",
		"missing exp":                             "missing required claim",
		"exp as a numeric string":                 `claims: "exp" is not a JSON number`,
		"nbf as a numeric string":                 `claims: "nbf" is not a JSON number`,
		"iat as a numeric string":                 `claims: "iat" is not a JSON number`,
		"exp as an RFC 3339 time":                 `claims: "exp" is not a JSON number`,
		"crit header":                             `"crit" header (no extension is understood)`,
		"alg twice in the header":                 `header: member "alg" given twice`,
		"kid twice in the header":                 `header: member "kid" given twice`,
		"sub twice in the claims":                 `claims: member "sub" given twice`,
	}
	for _, c := range iss.InvalidTokens(t, "auth0|alice") {
		t.Run(c.Name, func(t *testing.T) {
			_, _ = v.Verify(t.Context(), c.Token)
			got := reasons(t, logs)
			if len(got) != 1 || got[0] != want[c.Name] {
				t.Errorf("logged reasons: got %q, want [%q]", got, want[c.Name])
			}
		})
	}
}

func TestLogsNeverContainTokens(t *testing.T) {
	iss := authtest.NewIssuer(t)
	logs := &testlog.Buffer{}
	v := newVerifier(t, config(iss, debugLogger(logs)))
	intercept := auth.UnaryServerInterceptor(v, nil)
	noop := func(_ context.Context, _ any) (any, error) { return nil, nil }

	tokens := []string{iss.UserToken(t, "auth0|alice"), "Basic c2VjcmV0OnBhc3N3b3Jk"}
	for _, c := range iss.InvalidTokens(t, "auth0|alice") {
		tokens = append(tokens, c.Token)
	}
	for _, tok := range tokens {
		_, _ = v.Verify(t.Context(), tok)
		ctx := metadata.NewIncomingContext(t.Context(), metadata.Pairs("authorization", "Bearer "+tok))
		_, _ = intercept(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/x/Y"}, noop)
	}

	out := logs.String()
	if !strings.Contains(out, "reason") {
		t.Fatalf("logs hold no rejection reason; the test would prove nothing:\n%s", out)
	}
	for _, tok := range tokens {
		for _, part := range strings.FieldsFunc(tok, func(r rune) bool { return r == '.' || r == ' ' }) {
			if len(part) >= 8 && strings.Contains(out, part) {
				t.Errorf("logs contain part %q of a token", part)
			}
		}
	}
}
