// Package dialect describes to sqlstore a SQL database and the Go driver
// that reaches it. sqlstore itself imports no database driver: the
// packages that provide a Spec (pgdialect, sqlitedialect, offered to
// users by sqlstore/postgres and sqlstore/sqlite) are the only ones that
// do, so a program that uses one database does not link the other's
// driver.
package dialect

import (
	"context"
	"errors"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
)

// Flavor is the SQL a database speaks: sqlstore writes its statements
// for one of them.
type Flavor int

// Flavors.
const (
	SQLite Flavor = iota + 1
	Postgres
)

// String returns the flavor's name.
func (f Flavor) String() string {
	switch f {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "unknown"
}

// ErrKind is what a database error means to the write path.
type ErrKind int

// Error kinds.
const (
	ErrOther     ErrKind = iota
	ErrDuplicate         // a unique key was violated: crm.ErrDuplicate
	ErrRetry             // the transaction was aborted through no fault of its own: storage.ErrRetry
)

// ErrNoCopy is CopyFrom's answer when it cannot copy through the
// connection it was given: the caller writes the rows another way.
var ErrNoCopy = errors.New("dialect: no bulk copy through this connection")

// Spec is one database and its Go driver.
type Spec struct {
	Flavor Flavor
	// MaxParams is the most parameters one statement binds.
	MaxParams int
	// Classify tells what a database error means.
	Classify func(err error) ErrKind
	// ConnLost reports whether err, as the Go driver reports it, says the
	// database could not be reached or dropped the connection; known is
	// false when the driver has nothing to say about err and sqlstore's
	// generic checks (database/sql's ErrBadConn, EOF, network errors)
	// decide.
	ConnLost func(err error) (lost, known bool)
	// Unsent reports whether a failed statement certainly never reached
	// the database, so that a failed COMMIT left nothing committed.
	Unsent func(err error) bool
	// Answered, if set, reports whether err is the database's own answer
	// to a statement (an error response, a server going down saying so):
	// the statement then did not run, even on a connection lost with it.
	Answered func(err error) bool
	// EncodeID is an ID as a statement parameter.
	EncodeID func(id crm.ID) any
	// CopyDecimal, if set, is an exact decimal as a row value of
	// CopyFrom, where it is sent in binary: a statement's parameter is
	// its text, which the database parses at less cost to the client.
	CopyDecimal func(x decimal.Decimal) any
	// CopyFrom, if set, writes n rows into table (its name's parts:
	// schema, if any, and name) with the database's bulk path (COPY),
	// through conn, the Go driver's connection as database/sql's
	// Conn.Raw exposes it, inside the transaction open on it. row
	// appends row i's values, in the order of columns and in the forms
	// statement parameters take, to buf and returns it; buf is reused
	// for the next row. Errors are the Go driver's, as a statement's
	// would be (Classify reads them), or ErrNoCopy, having sent nothing,
	// when conn is not of the Go driver it knows (a host's *sql.DB
	// opened with another driver).
	CopyFrom func(ctx context.Context, conn any, table, columns []string, n int, row func(i int, buf []any) ([]any, error)) error
}
