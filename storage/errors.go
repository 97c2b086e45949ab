package storage

import (
	"errors"

	"github.com/crmkit/crmkit/storage/driver"
)

// ErrTooDeep is returned when hooks that write trigger one another more
// than MaxDepth levels deep: a hook that updates the record it watches
// would otherwise loop forever.
var ErrTooDeep = errors.New("hooks nested too deep")

// ErrRolledBack is returned by InTx when an operation inside the
// transaction failed after it had written, even if the closure went on and
// returned nil: committing would have kept half of that operation.
var ErrRolledBack = errors.New("transaction rolled back")

// Errors from the database, which adapters produce (see storage/driver).
var (
	// ErrRetry marks an error that aborted a transaction through no fault
	// of its own (a serialization failure or a deadlock): InTx runs the
	// transaction again, a bounded number of times (WithRetries), and
	// returns an error matching ErrRetry only when retries ran out.
	ErrRetry = driver.ErrRetry
	// ErrUnavailable marks an error from a database out of reach: it could
	// not be connected to, is shutting down or starting up, or dropped the
	// connection. Before COMMIT it matches ErrRetry too.
	ErrUnavailable = driver.ErrUnavailable
	// ErrCommitUnknown: the connection was lost during COMMIT, so the
	// transaction may or may not have committed. It never matches
	// ErrRetry: re-read what it wrote before running it again.
	ErrCommitUnknown = driver.ErrCommitUnknown
)
