package auth_test

import (
	"fmt"
	"testing"

	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
)

// BenchmarkVerify compares a token seen before (cache hit) with a fresh token each time.
func BenchmarkVerify(b *testing.B) {
	iss := authtest.NewIssuer(b)
	cfg := config(iss)
	v, err := newBenchVerifier(b, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		tok := iss.UserToken(b, "auth0|alice")
		for b.Loop() {
			if _, err := v.Verify(b.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fresh", func(b *testing.B) {
		toks := make([]string, b.N)
		for i := range toks {
			toks[i] = iss.UserToken(b, fmt.Sprintf("auth0|user-%d", i))
		}
		b.ResetTimer()
		for _, tok := range toks {
			if _, err := v.Verify(b.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
