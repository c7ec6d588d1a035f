package loginstep

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
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

// TestLoadTextsWantsEveryTextAndNoOther: a language file that leaves a text out, or sets one the
// step does not have, is refused rather than shown as an empty string or ignored.
func TestLoadTextsWantsEveryTextAndNoOther(t *testing.T) {
	en, err := fs.ReadFile(textsFS, "texts/en.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"renamed": strings.Replace(string(en), `"Title"`, `"Unknown"`, 1),
		"empty":   strings.Replace(string(en), `"A few more details"`, `""`, 1),
	} {
		fsys := fstest.MapFS{"texts/xx.json": {Data: []byte(data)}}
		if _, err := loadTexts(fsys, "texts/xx.json"); err == nil {
			t.Errorf("%s: loadTexts accepted it", name)
		}
	}
	if _, err := loadTexts(fstest.MapFS{"texts/xx.json": {Data: en}}, "texts/xx.json"); err != nil {
		t.Errorf("loadTexts(en.json): %v", err)
	}
}
