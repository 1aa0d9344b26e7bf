package dlq

import (
	"errors"
	"io/fs"

	"cloud.google.com/go/storage"
)

// IsNotFound reports an error that says a DLQ file does not exist (any
// longer): a local or mounted file (fs.ErrNotExist) or a Cloud Storage
// object (storage.ErrObjectNotExist). Other errors (permission denied, a
// transient storage error) say nothing about the file being consumed.
func IsNotFound(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, storage.ErrObjectNotExist)
}
