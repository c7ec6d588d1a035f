package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

func TestRS256KeysKeepsOnlyRSASigningKeys(t *testing.T) {
	big, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set := jwk.NewSet()
	add := func(raw any, fields map[string]any) {
		k, err := jwk.Import(raw)
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range fields {
			if err := k.Set(name, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := set.AddKey(k); err != nil {
			t.Fatal(err)
		}
	}
	add(&big.PublicKey, map[string]any{jwk.KeyIDKey: "rs256", jwk.AlgorithmKey: jwa.RS256(), jwk.KeyUsageKey: "sig"})
	add(&big.PublicKey, map[string]any{jwk.KeyIDKey: "unpinned"})
	add(&big.PublicKey, map[string]any{jwk.KeyIDKey: "encryption", jwk.KeyUsageKey: "enc"})
	add(&big.PublicKey, map[string]any{jwk.KeyIDKey: "rs512", jwk.AlgorithmKey: jwa.RS512()})
	add(&ec.PublicKey, map[string]any{jwk.KeyIDKey: "ec"})
	add(&big.PublicKey, map[string]any{})

	got := rs256Keys(set)
	var kids []string
	for kid := range got {
		kids = append(kids, kid)
	}
	slices.Sort(kids)
	if diff := cmp.Diff([]string{"rs256", "unpinned"}, kids); diff != "" {
		t.Errorf("kept key ids (-want +got):\n%s", diff)
	}
}
