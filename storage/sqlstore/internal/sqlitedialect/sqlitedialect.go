// Package sqlitedialect is SQLite through modernc.org/sqlite, for
// sqlstore.
package sqlitedialect

import (
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// maxParams is SQLITE_MAX_VARIABLE_NUMBER.
const maxParams = 32766

var spec = dialect.Spec{
	Flavor:    dialect.SQLite,
	MaxParams: maxParams,
	Classify:  classify,
	ConnLost:  func(error) (bool, bool) { return false, false }, // an embedded database has no connection to lose
	Unsent:    func(error) bool { return false },
	EncodeID:  func(id crm.ID) any { return id[:] },
}

// Spec returns SQLite's dialect.
func Spec() *dialect.Spec { return &spec }

// classify: a primary key or unique violation is a duplicate; a database
// still busy or locked after the busy timeout is worth a retry.
func classify(err error) dialect.ErrKind {
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch code := sqErr.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || code == sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return dialect.ErrDuplicate
		case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
			return dialect.ErrRetry
		}
	}
	return dialect.ErrOther
}
