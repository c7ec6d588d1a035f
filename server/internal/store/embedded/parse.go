package embedded

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// ParseImport reads users to import. It accepts a JSON array of Auth0 user objects, as the
// Management API returns them ([{"user_id":"google-oauth2|1","given_name":"Ada",
// "logins_count":3,"user_metadata":{...}}]), or the same objects one after another, one per
// line, as an Auth0 bulk user export in JSON format writes them.
//
// "user_id" is required. "user_metadata" and "app_metadata", when present, must be objects and
// are imported as metadata (merged into what is stored, see UserAttributes); every other key is
// kept as a root attribute. Numbers decode as float64. Errors name the user's index, from 0.
func ParseImport(r io.Reader) ([]UserAttributes, error) {
	br := bufio.NewReader(r)
	first, err := firstNonSpace(br)
	if errors.Is(err, io.EOF) {
		return nil, errors.New("import: the input is empty; want a JSON array of users")
	}
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	dec := json.NewDecoder(br)
	if first == '[' {
		return parseArray(dec)
	}
	return parseStream(dec)
}

// firstNonSpace peeks at the first byte that is not white space, leaving it unread.
func firstNonSpace(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if !unicode.IsSpace(rune(c)) {
			return c, br.UnreadByte()
		}
	}
}

func parseArray(dec *json.Decoder) ([]UserAttributes, error) {
	if _, err := dec.Token(); err != nil { // the opening bracket
		return nil, fmt.Errorf("import: %w", err)
	}
	var users []UserAttributes
	for i := 0; dec.More(); i++ {
		u, err := decodeUser(dec, i)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		if errors.Is(err, io.EOF) {
			return nil, errors.New("import: the array of users is not closed with ']'")
		}
		return nil, fmt.Errorf("import: after user %d: %w", len(users)-1, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("import: unexpected data after the array of users")
	}
	return users, nil
}

func parseStream(dec *json.Decoder) ([]UserAttributes, error) {
	var users []UserAttributes
	for i := 0; ; i++ {
		u, err := decodeUser(dec, i)
		if errors.Is(err, io.EOF) {
			return users, nil
		}
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
}

// decodeUser decodes user i. It returns io.EOF, unwrapped, at the end of the input.
func decodeUser(dec *json.Decoder, i int) (UserAttributes, error) {
	var obj map[string]any
	err := dec.Decode(&obj)
	if errors.Is(err, io.EOF) {
		return UserAttributes{}, io.EOF
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) || (err == nil && obj == nil) {
		return UserAttributes{}, fmt.Errorf("import: user %d: not a JSON object", i)
	}
	if err != nil {
		return UserAttributes{}, fmt.Errorf("import: user %d: %w", i, err)
	}
	u, err := userFromObject(obj)
	if err != nil {
		return UserAttributes{}, fmt.Errorf("import: user %d: %w", i, err)
	}
	return u, nil
}

// userFromObject splits an Auth0 user object into id, root attributes and metadata.
func userFromObject(obj map[string]any) (UserAttributes, error) {
	raw, ok := obj["user_id"]
	if !ok {
		return UserAttributes{}, errors.New("missing user_id")
	}
	id, ok := raw.(string)
	if !ok {
		return UserAttributes{}, errors.New("user_id is not a string")
	}
	if err := store.InvalidUserID(id); err != nil {
		return UserAttributes{}, err
	}
	um, err := metadataOf(obj, "user_metadata")
	if err != nil {
		return UserAttributes{}, err
	}
	am, err := metadataOf(obj, "app_metadata")
	if err != nil {
		return UserAttributes{}, err
	}
	if err := store.CheckKeys(store.Patch{UserMetadata: um, AppMetadata: am}); err != nil {
		return UserAttributes{}, errors.New(err.(*store.Error).Message)
	}
	for _, k := range reservedRootKeys {
		delete(obj, k)
	}
	return UserAttributes{UserID: id, Attributes: obj, UserMetadata: um, AppMetadata: am}, nil
}

func metadataOf(obj map[string]any, key string) (map[string]any, error) {
	v, ok := obj[key]
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an object", key)
	}
	return m, nil
}
