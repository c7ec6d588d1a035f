package engine

import (
	"encoding/json"
	"unicode/utf8"
)

// Upper bounds, in bytes, of the JSON encodings jsonSizeBound does not measure.
const (
	// maxFloatBytes bounds a float64 as encoding/json (and goccy/go-json) writes it: at most 17
	// significant digits, so the longest is a sign, "0.00000" and 17 digits (25 bytes, as in
	// -0.0000012345678901234567); the exponent form, used below 1e-6 and from 1e21, is shorter.
	maxFloatBytes = 25
	// maxIntBytes bounds a 64-bit integer: "-9223372036854775808".
	maxIntBytes = 20
	// maxEscapeBytes bounds what one input byte of a string becomes: a \u00XX escape, or
	// \ufffd for a byte of invalid UTF-8.
	maxEscapeBytes = 6
)

// asciiBound[c] bounds the encoding of the ASCII byte c in a string: one byte, or six for
// control characters, '"', '\\' and the HTML characters '<', '>' and '&', which are escaped.
var asciiBound = func() (t [utf8.RuneSelf]uint8) {
	for c := range t {
		t[c] = 1
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			t[c] = maxEscapeBytes
		}
	}
	return t
}()

// jsonSizeBound returns a size, in bytes, that the JSON encoding of v never exceeds, without
// encoding it or allocating. A value holding a type other than those of decoded JSON (and
// []string, integers, float32, json.Number) gets MaxMetadataBytes, so the caller falls back to
// the exact encoding.
func jsonSizeBound(v any) int {
	switch x := v.(type) {
	case nil:
		return len("null")
	case bool:
		return len("false")
	case string:
		return stringSizeBound(x)
	case float64, float32:
		return maxFloatBytes
	case int, int64, int32:
		return maxIntBytes
	case json.Number:
		return max(len(x), 1) // an empty Number is written as 0
	case map[string]any:
		return objectSizeBound(x)
	case []any:
		return listSizeBound(x, jsonSizeBound)
	case []string:
		return listSizeBound(x, stringSizeBound)
	}
	return MaxMetadataBytes
}

// listSizeBound is jsonSizeBound for a list, with elem bounding each element.
func listSizeBound[E any](x []E, elem func(E) int) int {
	if x == nil {
		return len("null")
	}
	n := len("[]")
	for _, e := range x {
		n += elem(e) + len(",")
	}
	return n
}

// objectSizeBound is jsonSizeBound for an object.
func objectSizeBound(m map[string]any) int {
	if m == nil {
		return len("null")
	}
	n := len("{}")
	for k, e := range m {
		n += stringSizeBound(k) + len(":") + jsonSizeBound(e) + len(",")
	}
	return n
}

// stringSizeBound bounds the encoding of s as a JSON string: the quotes, then each byte as
// itself except escaped ASCII (see asciiBound), each byte of invalid UTF-8 (written as
// \ufffd) and U+2028 and U+2029 (written as \u2028 and \u2029).
func stringSizeBound(s string) int {
	n := len(`""`)
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			n += int(asciiBound[c])
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			n += maxEscapeBytes
		} else {
			n += size
		}
		i += size
	}
	return n
}
