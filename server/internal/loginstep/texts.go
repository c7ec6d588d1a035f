package loginstep

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"strings"

	"github.com/acme/progressive-profiling/server/internal/engine"
)

// texts are the step's own words (the catalog supplies field labels and the title), in one
// language.
type texts struct {
	Lang          string `json:"-"`
	Title         string
	Intro         string
	Save          string
	Skip          string
	Optional      string
	Problem       string
	ErrorPrefix   string
	Choose        string
	Yes, No       string
	Topics        string
	Done          string
	Returning     string
	Continue      string
	CannotUse     string
	Expired       string
	Used          string
	Forged        string
	Missing       string
	ContinueLogin string
	NothingKept   string
}

// textsFS holds the step's words, one file per language: texts/<lang>.json, which sets every
// field of texts but Lang.
//
//go:embed texts/*.json
var textsFS embed.FS

// textsByLang are the step's words by language; English is the fallback.
var textsByLang = mustLoadTexts(textsFS)

// mustLoadTexts reads the step's words, and panics when a file is malformed, sets an unknown
// text or leaves one out, or when there is no English.
func mustLoadTexts(fsys fs.FS) map[string]*texts {
	names, err := fs.Glob(fsys, "texts/*.json")
	if err != nil {
		panic(err)
	}
	out := make(map[string]*texts, len(names))
	for _, name := range names {
		lang := strings.TrimSuffix(path.Base(name), ".json")
		t, err := loadTexts(fsys, name)
		if err != nil {
			panic(fmt.Sprintf("loginstep: %s: %v", name, err))
		}
		t.Lang = lang
		out[lang] = t
	}
	if out["en"] == nil {
		panic("loginstep: no texts/en.json")
	}
	return out
}

// loadTexts reads one language's words; every text must be given.
func loadTexts(fsys fs.FS, name string) (*texts, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	t := &texts{}
	if err := dec.Decode(t); err != nil {
		return nil, err
	}
	v := reflect.ValueOf(t).Elem()
	for i := range v.NumField() {
		if f := v.Type().Field(i); f.Name != "Lang" && v.Field(i).String() == "" {
			return nil, fmt.Errorf("%s is missing", f.Name)
		}
	}
	return t, nil
}

// textsFor returns the step's words in locale's language ("fr-CA" reads "fr"), English when the
// step does not speak it.
func textsFor(locale string) *texts {
	base, _, _ := strings.Cut(strings.ToLower(strings.ReplaceAll(locale, "_", "-")), "-")
	if t, ok := textsByLang[base]; ok {
		return t
	}
	return textsByLang["en"]
}

// browserLocale returns the first language of an Accept-Language header, or "" when it is no
// locale tag (engine.ValidLocale).
func browserLocale(header string) string {
	first, _, _ := strings.Cut(header, ",")
	tag, _, _ := strings.Cut(first, ";")
	if tag = strings.TrimSpace(tag); !engine.ValidLocale(tag) {
		return ""
	}
	return tag
}

// problem is why a page cannot be used.
type problem int

const (
	problemExpired problem = iota
	problemUsed
	problemForged
	problemMissing
)

// explain says what went wrong, in t's language.
func (t *texts) explain(p problem) string {
	switch p {
	case problemUsed:
		return t.Used
	case problemForged:
		return t.Forged
	case problemMissing:
		return t.Missing
	}
	return t.Expired
}
