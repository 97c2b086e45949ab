package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// benchUpdated is how many contacts the update benchmark cycles through.
const benchUpdated = benchInTx

// benchUpdate measures one version-checked update of two fields of a
// contact that joins no transaction (Store.Update on its own), beside the
// same by hand with the same structure: one prepared UPDATE of the two
// columns and the version and modification stamps WHERE id and version
// match, on its own (autocommit), and a check that it hit one row.
// Store.Update returns the record as stored, so the like-for-like
// baseline is impl=handwritten-returning, whose UPDATE returns the row
// (RETURNING every column, scanned into the hand-written struct);
// impl=handwritten reads nothing back.
func benchUpdate(b *testing.B, open benchOpen) {
	ctx := crm.AsSystem(context.Background())
	setup := func(b *testing.B) (*benchDB, []hwContact) {
		bd := newBenchDB(b, open)
		cs := hwContacts(rand.New(rand.NewPCG(9, 10)), bd.accounts, benchUpdated)
		require.NoError(b, bd.hwInsertBulk(ctx, cs))
		return bd, cs
	}
	b.Run("impl=crmkit", func(b *testing.B) {
		bd, cs := setup(b)
		i := 0
		for b.Loop() {
			c := &cs[i%len(cs)]
			i++
			out, err := bd.store.Update(ctx, crm.Record{Entity: benchContact, Header: crm.Header{ID: c.ID, Version: c.Version},
				Fields: crm.Fields{"telephone1": "+49 30 " + strconv.Itoa(i), "numberofchildren": int64(i % 5)}})
			require.NoError(b, err)
			c.Version = out.Version
		}
	})
	for _, returning := range []bool{false, true} {
		name := "impl=handwritten"
		if returning {
			name += "-returning"
		}
		b.Run(name, func(b *testing.B) {
			bd, cs := setup(b)
			text := "UPDATE " + bd.contacts + " SET telephone1 = " + bd.ph(1) + ", numberofchildren = " + bd.ph(2) +
				", version = " + bd.ph(3) + ", modifiedon = " + bd.ph(4) + ", modifiedby = " + bd.ph(5) + " WHERE id = " + bd.ph(6) + " AND version = " + bd.ph(7)
			if returning {
				text += " RETURNING " + hwColumns
			}
			stmt, err := bd.db.PrepareContext(ctx, text)
			require.NoError(b, err)
			b.Cleanup(func() { _ = stmt.Close() })
			user := crm.Caller(ctx)
			i := 0
			for b.Loop() {
				c := &cs[i%len(cs)]
				i++
				require.NoError(b, bd.hwUpdate(ctx, stmt, returning, c, "+49 30 "+strconv.Itoa(i), int64(i%5), user))
			}
		})
	}
}

// hwUpdate is one version-checked update, committed as it runs. With
// returning, it reads the row back into c.
func (bd *benchDB) hwUpdate(ctx context.Context, stmt *sql.Stmt, returning bool, c *hwContact, phone string, children int64, user crm.ID) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	var modified, by any = now, user.String()
	if bd.dialect.String() != "postgres" {
		modified, by = now.UnixMicro(), user[:]
	}
	args := []any{phone, children, c.Version + 1, modified, by, bd.hwID(c.ID), c.Version}
	if returning {
		got, err := bd.hwScan(stmt.QueryRowContext(ctx, args...))
		if err != nil {
			return err // sql.ErrNoRows: a stale version
		}
		*c = got
		return nil
	}
	res, err := stmt.ExecContext(ctx, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(err, errors.New("stale version"))
	}
	c.Version++
	return nil
}
