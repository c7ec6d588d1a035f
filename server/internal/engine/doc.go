// Package engine holds the progressive-profiling rules: the field catalog, what is known, what to
// ask next (and, when asked, why each field and topic is or is not asked), how answers, declines
// and subscriptions are validated and turned into store patches. It knows no transport (no gRPC,
// no HTTP) and never mutates the profiles it is given.
package engine
