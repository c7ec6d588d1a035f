package api

import (
	"strings"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/engine"
)

// specCache holds the catalog's field and topic specs, built once per locale the catalog
// translates to. Prompts then share these messages instead of building them on every call;
// they are never modified after construction, so concurrent marshalling is safe.
type specCache struct {
	byLocale map[string]*localeSpecs
}

type localeSpecs struct {
	fields map[*engine.Field]*profilev1.FieldSpec
	topics map[*engine.Topic]*profilev1.TopicSpec
	list   *profilev1.ListFieldsResponse
}

func newSpecCache(c *engine.Catalog) *specCache {
	locales := map[string]bool{"": true}
	add := func(m map[string]string) {
		for l := range m {
			locales[normLocale(l)] = true
		}
	}
	for _, f := range c.Fields {
		add(f.Labels)
		add(f.Helps)
		for _, o := range f.Options {
			add(o.Labels)
		}
	}
	for _, t := range c.Topics {
		add(t.Labels)
		add(t.Helps)
	}
	sc := &specCache{byLocale: make(map[string]*localeSpecs, len(locales))}
	for l := range locales {
		ls := &localeSpecs{
			fields: make(map[*engine.Field]*profilev1.FieldSpec, len(c.Fields)),
			topics: make(map[*engine.Topic]*profilev1.TopicSpec, len(c.Topics)),
			list:   &profilev1.ListFieldsResponse{DefaultMaxFields: int32(c.DefaultMaxFields)},
		}
		for _, f := range c.Fields {
			ls.fields[f] = fieldToProto(f, l)
			ls.list.Fields = append(ls.list.Fields, ls.fields[f])
		}
		for _, t := range c.Topics {
			ls.topics[t] = topicToProto(t, l)
			ls.list.Topics = append(ls.list.Topics, ls.topics[t])
		}
		sc.byLocale[l] = ls
	}
	return sc
}

// normLocale folds case and separators: "fr_CA" and "FR-ca" are "fr-ca".
func normLocale(l string) string { return strings.ToLower(strings.ReplaceAll(l, "_", "-")) }

// forLocale returns the specs for a requested locale: the catalog's exact locale, else its
// base language ("fr-CA" -> "fr"), else the default texts; the same fallbacks as
// engine.Field.LocalizedLabel, so the result is what building the specs for locale would give.
func (sc *specCache) forLocale(locale string) *localeSpecs {
	if locale == "" {
		return sc.byLocale[""]
	}
	l := normLocale(locale)
	if ls, ok := sc.byLocale[l]; ok {
		return ls
	}
	if base, _, found := strings.Cut(l, "-"); found {
		if ls, ok := sc.byLocale[base]; ok {
			return ls
		}
	}
	return sc.byLocale[""]
}

func (ls *localeSpecs) prompt(p *engine.Prompt) *profilev1.Prompt {
	out := &profilev1.Prompt{
		Fields:          make([]*profilev1.FieldSpec, len(p.Fields)),
		Topics:          make([]*profilev1.TopicSpec, len(p.Topics)),
		Complete:        p.Complete,
		KnownCount:      int32(p.KnownCount),
		ApplicableCount: int32(p.ApplicableCount),
	}
	for i, f := range p.Fields {
		out.Fields[i] = ls.fields[f]
	}
	for i, t := range p.Topics {
		out.Topics[i] = ls.topics[t]
	}
	if p.Explanation != nil {
		out.Explanation = explanationToProto(p.Explanation)
	}
	return out
}
