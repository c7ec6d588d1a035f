package engine

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Violation is one problem with a request, named by the request field it concerns.
type Violation struct {
	// Field is the request field path: "values.title", "declined_fields[0]", "max_fields", "topic".
	Field string
	// Description says what is wrong, for the caller.
	Description string
}

// ValidationError rejects a whole request and lists every violation found, in a deterministic
// order (by field path, list indexes compared as numbers).
type ValidationError struct {
	Violations []Violation
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid request: ")
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.Field + ": " + v.Description)
	}
	return b.String()
}

// ForbiddenError rejects a submission that touches service-only (app_metadata) fields without
// being allowed to (see CheckForbidden). It is not a *ValidationError, so the API can answer
// PERMISSION_DENIED rather than INVALID_ARGUMENT.
type ForbiddenError struct {
	// Fields are the request field paths concerned, sorted like violations.
	Fields []string
}

func (e *ForbiddenError) Error() string {
	return "only services may write these fields: " + strings.Join(e.Fields, ", ")
}

// violations collects violations for one request.
type violations []Violation

func (vs *violations) add(field, description string) {
	*vs = append(*vs, Violation{Field: field, Description: description})
}

// err returns nil when there is no violation, else a sorted *ValidationError.
func (vs violations) err() error {
	if len(vs) == 0 {
		return nil
	}
	out := slices.Clone([]Violation(vs))
	slices.SortStableFunc(out, func(a, b Violation) int {
		if c := comparePaths(a.Field, b.Field); c != 0 {
			return c
		}
		return cmp.Compare(a.Description, b.Description)
	})
	return &ValidationError{Violations: out}
}

// comparePaths orders "declined_fields[2]" before "declined_fields[10]".
func comparePaths(a, b string) int {
	ap, ai, ar := splitIndex(a)
	bp, bi, br := splitIndex(b)
	return cmp.Or(cmp.Compare(ap, bp), cmp.Compare(ai, bi), cmp.Compare(ar, br))
}

func splitIndex(path string) (prefix string, index int, rest string) {
	prefix, after, found := strings.Cut(path, "[")
	if !found {
		return path, -1, ""
	}
	num, rest, _ := strings.Cut(after, "]")
	index, err := strconv.Atoi(num)
	if err != nil {
		return path, -1, ""
	}
	return prefix, index, rest
}

func sortPaths(paths []string) {
	slices.SortFunc(paths, comparePaths)
}
