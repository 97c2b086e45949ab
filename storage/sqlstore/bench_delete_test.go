package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// benchDeletes is how many records one op of the delete benchmarks
// deletes, one Store.Delete (or one hand-written DELETE) each.
const benchDeletes = 1000

// benchDelete compares deleting records one by one, version checked:
// crmkit's Store.Delete outside any transaction beside a prepared
// hand-written DELETE ... WHERE id = ? AND version = ? run in a
// transaction of its own (impl=handwritten: BEGIN, DELETE, COMMIT), and
// in autocommit (impl=handwritten-autocommit: one round trip, what a
// program that did not need crmkit's guarantees would send). The records
// are created before each op with the timer stopped.
//
// Delete deletes contacts, which nothing can point at: crmkit sends the
// DELETE on its own (driver.AloneDeleter), as autocommit does.
// DeleteReferenced deletes accounts, which contacts may point at and none
// does, so crmkit runs a transaction that locks each and asks who points
// at it (one probe), and the hand-written code does not.
func benchDelete(b *testing.B, open benchOpen) {
	ctx := crm.AsSystem(context.Background())
	for _, tc := range []struct {
		name   string
		entity string
		make   func(bd *benchDB, rng *rand.Rand) []crm.Record
	}{
		{"Delete", benchContact, func(bd *benchDB, rng *rand.Rand) []crm.Record { return benchRecords(rng, bd.accounts, benchDeletes) }},
		{"DeleteReferenced", benchAccount, func(*benchDB, *rand.Rand) []crm.Record {
			recs := make([]crm.Record, benchDeletes)
			for i := range recs {
				recs[i] = crm.Record{Entity: benchAccount, Fields: crm.Fields{"name": fmt.Sprintf("Doomed %04d", i)}}
			}
			return recs
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			// setup creates the records of one op, timer stopped.
			setup := func(b *testing.B, bd *benchDB, rng *rand.Rand) []crm.Record {
				b.StopTimer()
				defer b.StartTimer()
				out, err := bd.store.CreateMany(ctx, tc.make(bd, rng))
				require.NoError(b, err)
				return out
			}
			b.Run("impl=crmkit", func(b *testing.B) {
				bd := newBenchDB(b, open)
				rng := rand.New(rand.NewPCG(7, 8))
				for b.Loop() {
					for _, r := range setup(b, bd, rng) {
						require.NoError(b, bd.store.Delete(ctx, r.Ref(), r.Version))
					}
				}
			})
			for _, autocommit := range []bool{false, true} {
				impl := "impl=handwritten"
				if autocommit {
					impl += "-autocommit"
				}
				b.Run(impl, func(b *testing.B) {
					bd := newBenchDB(b, open)
					table := strings.Replace(bd.contacts, benchContact, tc.entity, 1)
					stmt, err := bd.db.PrepareContext(ctx, "DELETE FROM "+table+" WHERE id = "+bd.ph(1)+" AND version = "+bd.ph(2))
					require.NoError(b, err)
					defer stmt.Close()
					rng := rand.New(rand.NewPCG(7, 8))
					for b.Loop() {
						for _, r := range setup(b, bd, rng) {
							require.NoError(b, bd.hwDelete(ctx, stmt, table, r, autocommit))
						}
					}
				})
			}
		})
	}
}

// hwDelete deletes r at its version with stmt.
func (bd *benchDB) hwDelete(ctx context.Context, stmt *sql.Stmt, table string, r crm.Record, autocommit bool) error {
	if autocommit {
		res, err := stmt.ExecContext(ctx, bd.hwID(r.ID), r.Version)
		if err != nil {
			return err
		}
		return hwAffected(table, res)
	}
	tx, err := bd.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.StmtContext(ctx, stmt).ExecContext(ctx, bd.hwID(r.ID), r.Version)
	if err != nil {
		return err
	}
	if err := hwAffected(table, res); err != nil {
		return err
	}
	return tx.Commit()
}

// hwAffected checks that one row was deleted. (A program would read the
// row's version when none was, to tell a missing record from a stale
// version; in the benchmark every delete deletes.)
func hwAffected(table string, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil || n == 1 {
		return err
	}
	return errors.New("hand-written delete: no row deleted in " + table)
}
