package loginstep

import (
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// hs512 signs claims with the right secret but HS512, which the step must refuse.
func hs512(t *testing.T, claims map[string]any) string {
	t.Helper()
	b := jwt.NewBuilder().Issuer(tenantHost).Subject(ada).Expiration(t0.Add(600e9)).IssuedAt(t0)
	for k, v := range claims {
		b = b.Claim(k, v)
	}
	tok, _ := b.Build()
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS512(), []byte(testSecret)))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}
