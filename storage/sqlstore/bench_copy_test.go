package sqlstore_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// benchCopy is BulkCreate by hand with PostgreSQL's COPY (pgx's
// CopyFrom, in one transaction, on the connection database/sql holds):
// the fastest way in, and crmkit's bulk path's baseline. SQLite has no
// COPY.
func benchCopy(b *testing.B, open benchOpen) {
	ctx := crm.AsSystem(context.Background())
	bd := newBenchDB(b, open)
	if bd.dialect.String() != "postgres" {
		b.Skip("COPY is PostgreSQL's")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for b.Loop() {
		b.StopTimer()
		cs := hwContacts(rng, bd.accounts, benchBulk)
		b.StartTimer()
		require.NoError(b, bd.hwCopy(ctx, cs))
	}
}

// hwCopyArgs is hwArgs for COPY: IDs and decimals in binary, as pgx
// takes them best (and crmkit sends them).
func hwCopyArgs(args []any, c *hwContact) []any {
	id := func(u uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: u, Valid: true} }
	credit := pgtype.Numeric{Int: c.CreditLimit.Coefficient(), Exp: c.CreditLimit.Exponent(), Valid: true}
	return append(args, id(c.ID), c.Version, id(c.OwnerID), c.OwnerType, c.CreatedOn, id(c.CreatedBy),
		c.ModifiedOn, id(c.ModifiedBy), c.State, c.Status, c.FirstName, c.LastName, c.Email, c.Phone,
		c.BirthDate, credit, c.Currency, c.Children, c.DoNotEmail, id(c.ParentID))
}

func (bd *benchDB) hwCopy(ctx context.Context, cs []hwContact) error {
	conn, err := bd.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	now := time.Now().UTC().Truncate(time.Microsecond)
	schema, table, _ := strings.Cut(strings.ReplaceAll(bd.contacts, `"`, ""), ".")
	cols := strings.Split(hwColumns, ", ")
	i := -1
	args := make([]any, 0, hwColumnCount)
	src := pgx.CopyFromFunc(func() ([]any, error) {
		i++
		if i == len(cs) {
			return nil, nil
		}
		hwStamp(&cs[i], now, crm.NilID)
		args = hwCopyArgs(args[:0], &cs[i])
		return args, nil
	})
	err = conn.Raw(func(dc any) error {
		_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{schema, table}, cols, src)
		return err
	})
	if err != nil {
		return err
	}
	return tx.Commit()
}
