package embedded

import (
	"fmt"
	"unicode/utf8"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// maxUserIDBytes bounds user ids; Auth0's own ids are far shorter.
const maxUserIDBytes = 512

// maxRecordBytes bounds one encoded profile record.
const maxRecordBytes = 64 << 10

// errClosed is returned by every call made after Close.
var errClosed = &store.Error{Kind: store.KindUnavailable, Message: "the embedded store is closed"}

func invalid(format string, args ...any) error {
	return &store.Error{Kind: store.KindInvalid, Message: fmt.Sprintf(format, args...)}
}

func unavailable(msg string, err error) error {
	return &store.Error{Kind: store.KindUnavailable, Message: msg, Err: err}
}

// validateUserID checks that id can be used as a key: non-empty, bounded and valid UTF-8.
func validateUserID(id string) error {
	switch {
	case id == "":
		return invalid("user id is empty")
	case len(id) > maxUserIDBytes:
		return invalid("user id is longer than %d bytes", maxUserIDBytes)
	case !utf8.ValidString(id):
		return invalid("user id is not valid UTF-8")
	}
	return nil
}
