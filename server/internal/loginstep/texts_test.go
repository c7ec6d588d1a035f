package loginstep

import (
	"strings"
	"testing"
)

// TestBrowserLocale: the first language of Accept-Language, when it is a locale tag.
func TestBrowserLocale(t *testing.T) {
	for header, want := range map[string]string{
		"fr-CA,fr;q=0.9,en;q=0.8": "fr-CA",
		" de ; q=1":               "de",
		"":                        "",
		"*":                       "",
		"<b>,en":                  "",
		strings.Repeat("a", 36):   "",
	} {
		if got := browserLocale(header); got != want {
			t.Errorf("browserLocale(%q) = %q, want %q", header, got, want)
		}
	}
}
