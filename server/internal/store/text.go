package store

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// CheckText applies the service's one rule on characters to a string it stores, keys by or
// echoes: text-like answers, multi-choice items, subscription sources and topics, user ids. It
// returns "" when s is acceptable, else a violation description naming the first character at
// fault. Refused: invalid UTF-8; the C0 controls U+0000 to U+001F (newline and tab included:
// text values are single-line), DEL U+007F and the C1 controls U+0080 to U+009F; the line and
// paragraph separators U+2028 and U+2029; and the invisible bidirectional formatting
// characters, which can make text read differently from what it holds: the marks U+200E,
// U+200F and U+061C, the embeddings and overrides U+202A to U+202E and the isolates U+2066 to
// U+2069.
func CheckText(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	i := strings.IndexFunc(s, refusedRune)
	if i < 0 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return fmt.Sprintf("must not contain control or bidirectional formatting characters (U+%04X at character %d)",
		r, utf8.RuneCountInString(s[:i])+1)
}

// refusedRune reports the characters CheckText refuses.
func refusedRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	case r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// MaxUserIDBytes bounds user ids; Auth0's own ids are far shorter.
const MaxUserIDBytes = 512

// CheckUserID applies the service's one rule on user ids, which every API and every store
// applies: present, at most MaxUserIDBytes bytes, not blank, without surrounding spaces (an id
// is used as given, never trimmed: " auth0|1" is not "auth0|1") and without the characters
// CheckText refuses. It returns "" when id is acceptable, else a violation description.
func CheckUserID(id string) string {
	switch {
	case id == "":
		return "must not be empty"
	case len(id) > MaxUserIDBytes:
		return fmt.Sprintf("must be at most %d bytes", MaxUserIDBytes)
	case strings.TrimSpace(id) == "":
		return "must not be blank"
	case strings.TrimSpace(id) != id:
		return "must not start or end with spaces"
	}
	return CheckText(id)
}

// InvalidUserID returns the KindInvalid error a store returns for an id CheckUserID refuses,
// or nil when it accepts it.
func InvalidUserID(id string) error {
	if msg := CheckUserID(id); msg != "" {
		return &Error{Kind: KindInvalid, Message: "user id " + msg}
	}
	return nil
}
