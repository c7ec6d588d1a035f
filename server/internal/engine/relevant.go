package engine

import "github.com/acme/progressive-profiling/server/internal/store"

// Relevant returns the part of profile p that the catalog's rules read: the metadata keys of its
// fields, the keys the service owns (subscriptions and decline records), the root attributes its
// fields are known from, and logins_count. Prompt, Submit and Subscribe decide the same on it as
// on p, so a login step can carry it, signed, instead of the whole profile (which holds what
// other applications stored). Only the metadata size check differs: it sees what Relevant keeps.
// The values are deep copies; the user id is kept.
func (e *Engine) Relevant(p *store.Profile) *store.Profile {
	out := &store.Profile{}
	if p == nil {
		return out
	}
	out.UserID = p.UserID
	pick := func(dst *map[string]any, src map[string]any, key string) {
		v, ok := src[key]
		if !ok {
			return
		}
		if *dst == nil {
			*dst = map[string]any{}
		}
		(*dst)[key] = cloneJSON(v)
	}
	for _, f := range e.catalog.Fields {
		if f.StoreKind() == StoreAppMetadata {
			pick(&out.AppMetadata, p.AppMetadata, f.Key)
		} else {
			pick(&out.UserMetadata, p.UserMetadata, f.Key)
		}
		for _, a := range f.KnownFrom {
			pick(&out.Attributes, p.Attributes, a)
		}
	}
	pick(&out.UserMetadata, p.UserMetadata, subscribedKey)
	pick(&out.AppMetadata, p.AppMetadata, declinesKey)
	pick(&out.Attributes, p.Attributes, LoginsCountAttribute)
	return out
}
