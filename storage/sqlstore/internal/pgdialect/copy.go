package pgdialect

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/crmkit/crmkit/storage/sqlstore/internal/dialect"
)

// copyFrom is COPY ... FROM STDIN in pgx's binary format, on the pgx
// connection under database/sql's.
func copyFrom(ctx context.Context, conn any, table, columns []string, n int, row func(i int, buf []any) ([]any, error)) error {
	c, ok := conn.(*stdlib.Conn)
	if !ok {
		return fmt.Errorf("copy into %v: the connection is a %T, not pgx's: %w", table, conn, dialect.ErrNoCopy)
	}
	_, err := c.Conn().CopyFrom(ctx, pgx.Identifier(table), columns, &rowSource{n: n, row: row, i: -1})
	return err
}

// rowSource hands pgx the rows one at a time: pgx encodes each row's
// values before it asks for the next, so one buffer serves them all.
type rowSource struct {
	n, i int
	row  func(i int, buf []any) ([]any, error)
	buf  []any
	err  error
}

func (s *rowSource) Next() bool {
	s.i++
	return s.err == nil && s.i < s.n
}

func (s *rowSource) Values() ([]any, error) {
	clear(s.buf)
	s.buf, s.err = s.row(s.i, s.buf[:0])
	return s.buf, s.err
}

func (s *rowSource) Err() error { return s.err }
