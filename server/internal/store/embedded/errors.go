package embedded

import (
	"fmt"

	"github.com/acme/progressive-profiling/server/internal/store"
)

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
