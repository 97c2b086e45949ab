// Package pgdialect is PostgreSQL through pgx, for sqlstore.
package pgdialect

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// maxParams is the wire protocol's limit on a statement's parameters.
const maxParams = 65535

var spec = dialect.Spec{
	Flavor:      dialect.Postgres,
	MaxParams:   maxParams,
	Classify:    classify,
	ConnLost:    connLost,
	Unsent:      pgconn.SafeToRetry,
	Answered:    answered,
	EncodeID:    encodeID,
	CopyFrom:    copyFrom,
	CopyDecimal: copyDecimal,
}

// Spec returns PostgreSQL's dialect.
func Spec() *dialect.Spec { return &spec }

// classify: a unique violation (23505) is a duplicate; a serialization
// failure (40001) or a deadlock (40P01) is worth a retry.
func classify(err error) dialect.ErrKind {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return dialect.ErrDuplicate
		case "40001", "40P01":
			return dialect.ErrRetry
		}
	}
	return dialect.ErrOther
}

// connLost: a failed connection attempt, unless the server refused the
// credentials or the database name, which no wait cures; PostgreSQL's
// connection exceptions (class 08) but a protocol violation, and
// shutdowns (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot
// connect now); a connection pgx closed. Any other PostgreSQL error is
// an answer from a live server.
func connLost(err error) (lost, known bool) {
	var pgErr *pgconn.PgError
	isPg := errors.As(err, &pgErr)
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return !isPg || !(strings.HasPrefix(pgErr.Code, "28") || pgErr.Code == "3D000"), true
	}
	if isPg {
		switch code := pgErr.Code; {
		case strings.HasPrefix(code, "08") && code != "08P01",
			code == "57P01", code == "57P02", code == "57P03":
			return true, true
		}
		return false, true
	}
	if errors.Is(err, pgconn.ErrConnClosed) {
		return true, true
	}
	return false, false
}

// answered: PostgreSQL said why the statement failed (an ErrorResponse,
// shutdowns included), so it did not commit.
func answered(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr)
}

// encodeID is a pgtype.UUID, which pgx sends in binary without
// formatting and parsing text.
func encodeID(id crm.ID) any { return pgtype.UUID{Bytes: id, Valid: true} }

// copyDecimal is a pgtype.Numeric, which pgx writes into a COPY's binary
// rows as it is; pgx would take a decimal's text only after a failed
// attempt to encode it as a number (an error allocated for each value),
// and then parse it.
func copyDecimal(x decimal.Decimal) any {
	return pgtype.Numeric{Int: x.Coefficient(), Exp: x.Exponent(), Valid: true}
}
