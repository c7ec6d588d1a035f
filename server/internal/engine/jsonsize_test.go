package engine

import (
	stdjson "encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// checkBound fails the test when jsonSizeBound(v) is below the length of v as goccy/go-json
// (the encoder the engine measures with) or encoding/json writes it. A value an encoder cannot
// write (NaN, infinities, invalid numbers) is not compared with that encoder's output.
func checkBound(t *testing.T, name string, v any) {
	t.Helper()
	var goccyLen, stdLen int
	if b, err := json.Marshal(v); err == nil {
		goccyLen = len(b)
	}
	if b, err := stdjson.Marshal(v); err == nil {
		stdLen = len(b)
	}
	if got := jsonSizeBound(v); got < goccyLen || got < stdLen {
		t.Errorf("%s: jsonSizeBound = %d, below the encoded length (goccy %d, encoding/json %d) of %#v",
			name, got, goccyLen, stdLen, v)
	}
}

// tricky are the strings most likely to encode longer than they look.
var tricky = []string{
	"", "plain", `"quoted" \back\slash/`, "<script>&amp;</script>", "\x00\x01\x1f\x7f", "\b\f\n\r\t",
	"é日本語😀", "\u2028\u2029", "\ufffd", "\xff", "\xc3", "\xc3(", "\xe2\x80", "\xed\xa0\x80",
	"\xf4\x90\x80\x80", "a\xffb\xfe<\u2028>", strings.Repeat("<", 100), strings.Repeat("\xff", 100),
}

// edgeFloats are float64 values at the limits of both number formats of encoding/json.
var edgeFloats = []float64{
	0, math.Copysign(0, -1), 1, -1, 1e21, -1e21, 1e20, 999999999999999999999, 1e-6, 1e-7, -1e-7,
	0.000001, -0.0000012345678901234567, 1.2345678901234567e-6, 123456789.123, -123456789.123456789,
	math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
	math.Nextafter(1e-6, 0), -math.Nextafter(1e-6, 1), math.Nextafter(1e21, 0), -math.Nextafter(1e21, 0),
	2.2250738585072014e-308, 1 << 53, -(1 << 53), math.Pi, -math.E * 1e-5, 1.0 / 3, -2.0 / 3 * 1e-6,
}

func TestJSONSizeBoundCoversEdgeValues(t *testing.T) {
	values := []any{
		nil, true, false, map[string]any(nil), map[string]any{}, []any(nil), []any{}, []string(nil),
		[]string{}, int(math.MinInt64), int64(math.MinInt64), int32(math.MinInt32), int(math.MaxInt64),
		float32(math.MaxFloat32), float32(-1.2345678e-6), float32(math.SmallestNonzeroFloat32),
		stdjson.Number(""), stdjson.Number("-1.2345e-300"), stdjson.Number("12345678901234567890123"),
		append([]string(nil), tricky...),
	}
	for _, f := range edgeFloats {
		values = append(values, f, -f)
	}
	for _, s := range tricky {
		values = append(values, s, map[string]any{s: s}, []any{s, map[string]any{s: []any{s}}})
	}
	for i, v := range values {
		checkBound(t, fmt.Sprintf("value %d", i), v)
	}
}

func TestJSONSizeBoundCoversRandomValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2)) // fixed seed: the same values on every run
	for i := range 3000 {
		checkBound(t, fmt.Sprintf("random value %d", i), randomJSON(rng, 3))
	}
	for i := range 20000 {
		f := math.Float64frombits(rng.Uint64())
		checkBound(t, fmt.Sprintf("random float %d", i), f)
		checkBound(t, fmt.Sprintf("random float32 %d", i), float32(f))
	}
}

func TestJSONSizeBoundSendsUnknownTypesToTheExactSize(t *testing.T) {
	for _, v := range []any{
		map[string]any{"x": []int{1}}, map[string]string{"a": "b"}, struct{ A int }{1}, uint64(7),
		[]any{"a", map[string]any{"t": stdjson.RawMessage(`{}`)}},
	} {
		if got := jsonSizeBound(v); got < MaxMetadataBytes {
			t.Errorf("jsonSizeBound(%#v) = %d, want at least MaxMetadataBytes (%d)", v, got, MaxMetadataBytes)
		}
	}
}

func FuzzStringSizeBound(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkBound(t, "string", s)
		checkBound(t, "object", map[string]any{s: []any{s}})
	})
}

// randomJSON returns a value of the kinds decoded JSON and the engine hold, nested to depth.
func randomJSON(rng *rand.Rand, depth int) any {
	kinds := 8
	if depth > 0 {
		kinds = 11
	}
	switch rng.IntN(kinds) {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2:
		return edgeFloats[rng.IntN(len(edgeFloats))]
	case 3:
		return (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(60)-30))
	case 4:
		return rng.Int64() - rng.Int64()
	case 5:
		return stdjson.Number(fmt.Sprint(rng.Int64N(1e12)))
	case 6, 7:
		return randomString(rng)
	case 8:
		l := make([]any, rng.IntN(5))
		for i := range l {
			l[i] = randomJSON(rng, depth-1)
		}
		return l
	case 9:
		l := make([]string, rng.IntN(5))
		for i := range l {
			l[i] = randomString(rng)
		}
		return l
	}
	m := make(map[string]any)
	for range rng.IntN(6) {
		m[randomString(rng)] = randomJSON(rng, depth-1)
	}
	return m
}

// randomString mixes plain text, escaped ASCII, multi-byte runes, U+2028/U+2029 and bytes of
// invalid UTF-8.
func randomString(rng *rand.Rand) string {
	pieces := []string{
		"a", "Z", " ", "0", "\x00", "\x1f", "\n", "\t", "\x7f", `"`, `\`, "/", "<", ">", "&",
		"é", "日", "😀", "\u2028", "\u2029", "\ufffd", "\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80",
	}
	var b strings.Builder
	for range rng.IntN(30) {
		if rng.IntN(8) == 0 {
			b.WriteByte(byte(rng.IntN(256)))
			continue
		}
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

// sizedObject returns {key: "x..."}, padded so that it encodes to exactly size bytes once the
// keys of extra are added to it.
func sizedObject(t *testing.T, key string, size int, extra map[string]any) map[string]any {
	t.Helper()
	m := map[string]any{key: ""}
	for k, v := range extra {
		m[k] = v
	}
	m[key] = strings.Repeat("x", size-jsonSize(m))
	if got := jsonSize(m); got != size {
		t.Fatalf("sized object: got %d bytes, want %d", got, size)
	}
	for k := range extra {
		delete(m, k)
	}
	return m
}

// sizeCatalog has fields in both metadata objects, for the size rule's tests.
const sizeCatalog = `
fields:
  - {key: notes, type: text, max_length: 20000}
  - {key: title, type: text}
  - {key: plan, type: text, store: app_metadata}
`

// TestSizeViolationsCountOnlyTheKeysWritten: the limit bounds what a write adds to a metadata
// object, the keys it sets, measured exactly; never what other keys hold, whoever stored them
// (issue 12: large metadata from another app blocked every write; review: so did a large value
// another app left under one of the catalog's keys, or in "subscribed").
func TestSizeViolationsCountOnlyTheKeysWritten(t *testing.T) {
	e := newEngine(t, sizeCatalog)
	escaped := strings.Repeat("\n", 6000) // 12000 bytes as JSON, but bounded at 36000
	if b := jsonSizeBound(escaped); b < MaxMetadataBytes {
		t.Fatalf("jsonSizeBound of 6000 newlines = %d, want at least %d for the test to mean anything", b, MaxMetadataBytes)
	}
	title := map[string]any{"title": "y"}
	plan := map[string]any{"plan": "y"}
	foreign := map[string]any{"other_app": strings.Repeat("x", 200_000)}
	big := strings.Repeat("x", 20000)
	tests := []struct {
		name  string
		user  map[string]any
		app   map[string]any
		patch store.Patch
		want  []Violation
	}{
		{"a key written one byte under the limit", nil, nil,
			store.Patch{UserMetadata: sizedObject(t, "notes", MaxMetadataBytes-1, nil)}, nil},
		{"a key written at the limit", nil, nil,
			store.Patch{UserMetadata: sizedObject(t, "notes", MaxMetadataBytes, nil)},
			[]Violation{{"values", "the keys this request sets in user_metadata would grow to 16384 bytes; they must stay under 16384"}}},
		{"keys written together at the limit", nil, nil,
			store.Patch{UserMetadata: withKeys(sizedObject(t, "notes", MaxMetadataBytes, title), title)},
			[]Violation{{"values", "the keys this request sets in user_metadata would grow to 16384 bytes; they must stay under 16384"}}},
		{"app_metadata written over the limit", nil, nil,
			store.Patch{AppMetadata: sizedObject(t, declinesKey, MaxMetadataBytes+10, nil)},
			[]Violation{{"values", "the keys this request sets in app_metadata would grow to 16394 bytes; they must stay under 16384"}}},
		{"bound over the limit, exact size under it", nil, nil,
			store.Patch{UserMetadata: map[string]any{"notes": escaped}}, nil},
		{"already over the limit and not growing", map[string]any{"notes": big}, nil,
			store.Patch{UserMetadata: map[string]any{"notes": big}}, nil},
		{"already over the limit and shrinking", map[string]any{"notes": big}, nil,
			store.Patch{UserMetadata: map[string]any{"notes": big[1:]}}, nil},
		{"already over the limit and growing", map[string]any{"notes": big}, nil,
			store.Patch{UserMetadata: map[string]any{"notes": big + "x"}},
			[]Violation{{"values", "the keys this request sets in user_metadata would grow to 20013 bytes; they must stay under 16384"}}},
		{"a large value under another catalog key does not count", map[string]any{"notes": big}, nil,
			store.Patch{UserMetadata: title}, nil},
		{"large subscriptions do not count when answering", map[string]any{subscribedKey: map[string]any{"other": big}}, nil,
			store.Patch{UserMetadata: title}, nil},
		{"large decline records do not count when answering", nil, map[string]any{declinesKey: big},
			store.Patch{AppMetadata: plan}, nil},
		{"untouched metadata is not checked", nil, map[string]any{declinesKey: big},
			store.Patch{UserMetadata: title}, nil},
		{"200 KB of another app's user_metadata", foreign, nil, store.Patch{UserMetadata: title}, nil},
		{"200 KB of another app's app_metadata", nil, foreign, store.Patch{AppMetadata: plan}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var vs violations
			e.sizeViolations(profile(nil, tt.user, tt.app), tt.patch, "values", &vs)
			if diff := cmp.Diff(tt.want, []Violation(vs)); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}
}

// withKeys returns a copy of m with the entries of extra added.
func withKeys(m, extra map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}
