package authtest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/google/go-cmp/cmp"
)

// claimsOf decodes the payload of a compact token without verifying it.
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatalf("unmarshal payload: %v", err)
	}
	return claims
}

func TestTokenMergesClaimsOverDefaults(t *testing.T) {
	iss := authtest.NewIssuer(t)
	exp := time.Unix(2_000_000_000, 0)
	got := claimsOf(t, iss.Token(t, map[string]any{"sub": "auth0|alice", "exp": exp, "iat": nil}))
	want := map[string]any{"iss": iss.Issuer(), "aud": authtest.Audience, "sub": "auth0|alice", "exp": float64(exp.Unix())}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
}

func TestIssuerServesJWKSAndCountsFetches(t *testing.T) {
	iss := authtest.NewIssuer(t)
	for _, down := range []bool{false, true} {
		iss.SetDown(down)
		resp, err := http.Get(iss.JWKSURL())
		if err != nil {
			t.Fatalf("GET JWKS: %v", err)
		}
		var doc struct {
			Keys []struct{ Kid, Kty, Alg, Use string }
		}
		_ = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if down {
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("down: status got %d, want 503", resp.StatusCode)
			}
			continue
		}
		want := []struct{ Kid, Kty, Alg, Use string }{{iss.KeyID(), "RSA", "RS256", "sig"}}
		if diff := cmp.Diff(want, doc.Keys); diff != "" {
			t.Errorf("JWKS keys (-want +got):\n%s", diff)
		}
	}
	if got, want := iss.Fetches(), 2; got != want {
		t.Errorf("Fetches: got %d, want %d", got, want)
	}
}

func TestServiceTokenCarriesClientCredentialsClaims(t *testing.T) {
	iss := authtest.NewIssuer(t)
	got := claimsOf(t, iss.ServiceToken(t, "m2m-app", "read:profiles", "write:profiles"))
	for k, want := range map[string]any{"sub": "m2m-app@clients", "azp": "m2m-app", "gty": "client-credentials", "scope": "read:profiles write:profiles"} {
		if got[k] != want {
			t.Errorf("claim %s = %v, want %v", k, got[k], want)
		}
	}
}
