package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// numericClaims are the registered claims that RFC 7519 defines as NumericDate: a JSON number.
// jwx also accepts them as strings ("1700000000", or an RFC 3339 time), which Auth0 never
// writes; a token that does is refused.
var numericClaims = map[string]bool{"exp": true, "nbf": true, "iat": true}

// errNotJSON: the data is not one well-formed JSON object.
var errNotJSON = errors.New("malformed token")

// checkJSONObject checks a JOSE header or a claims set before anything reads it: one JSON
// object with no member name repeated at any depth (encoding/json, and so jwx, would silently
// keep the last of two "alg" or two "sub"), and, at the top level, the names in numbers only
// holding JSON numbers. The error names what is wrong, never a value.
func checkJSONObject(data []byte, numbers map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return errNotJSON
	}
	if err := checkObject(dec, numbers); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errNotJSON
	}
	return nil
}

// checkObject reads the members of an object whose '{' was just read, up to its '}'.
func checkObject(dec *json.Decoder, numbers map[string]bool) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errNotJSON
		}
		name, _ := tok.(string)
		if seen[name] {
			return fmt.Errorf("member %q given twice", name)
		}
		seen[name] = true
		if numbers[name] {
			tok, err := dec.Token()
			if _, ok := tok.(json.Number); err != nil || !ok {
				return fmt.Errorf("%q is not a JSON number", name)
			}
			continue
		}
		if err := checkValue(dec); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return errNotJSON
	}
	return nil
}

// checkValue reads one value, checking the objects it holds.
func checkValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return errNotJSON
	}
	switch tok {
	case json.Delim('{'):
		return checkObject(dec, nil)
	case json.Delim('['):
		for dec.More() {
			if err := checkValue(dec); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return errNotJSON
		}
	}
	return nil
}
