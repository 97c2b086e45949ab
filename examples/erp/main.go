// Command erp is the story of an ERP that embeds crmkit in its own
// database. The ERP already has its tables (here, customer credit lines);
// crmkit lives beside them under a table prefix, and when the ERP opens a
// customer it writes its own row and the CRM account in one transaction it
// holds itself: both are kept, or neither is.
//
//	go run ./examples/erp
//
// It runs on an embedded SQLite file and exits non-zero if anything
// unexpected happens.
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "erp:", err)
		os.Exit(1)
	}
}

// erp is the host application: its own database handle and tables, with
// crmkit's driver opened on the same database.
type erp struct {
	db  *sql.DB
	crm *sqlstore.Driver
	reg *crm.Registry
	out io.Writer
}

func run(ctx context.Context, out io.Writer) (err error) {
	// The integration acts as the system user: every crmkit write names
	// who acts, and a nightly ERP job is no person.
	ctx = crm.AsSystem(ctx)
	dir, err := os.MkdirTemp("", "crmkit-erp-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()

	// The ERP opens its database as it always has, with the settings
	// crmkit needs on SQLite, and keeps its own table in it.
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(dir, "erp.db")))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	if _, err := db.ExecContext(ctx, `CREATE TABLE credit_line (customer TEXT PRIMARY KEY, crm_account BLOB, amount_cents INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create the ERP's own table: %w", err)
	}

	// crmkit migrates its tables into the same database, each named
	// crm_<entity>, so they never collide with the ERP's.
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		return err
	}
	d, err := sqlstore.New(ctx, db, sqlite.Dialect(), reg, sqlstore.WithTablePrefix("crm_"))
	if err != nil {
		return fmt.Errorf("open crmkit on the ERP's database: %w", err)
	}
	defer func() { err = errors.Join(err, d.Close()) }()
	e := &erp{db: db, crm: d, reg: reg, out: out}

	var tables []string
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return errors.Join(err, rows.Close())
		}
		tables = append(tables, name)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	fmt.Fprintf(out, "one database, the ERP's tables and crmkit's side by side: %v\n", tables)

	// A customer whose credit line is refused by the ERP's own rule: the
	// CRM account created in the same transaction goes too.
	refused := e.openCustomer(ctx, "Globex", 0)
	if refused == nil {
		return errors.New("a zero credit line was accepted")
	}
	fmt.Fprintf(out, "opening Globex failed (%v): rolled back\n", refused)
	// A customer the ERP accepts: both rows are kept.
	if err := e.openCustomer(ctx, "Initech", 500_000); err != nil {
		return err
	}
	// A customer crmkit refuses (an account name is required): the ERP's
	// credit line, written first, goes too.
	refused = e.openCustomer(ctx, "", 100_000)
	if !errors.Is(refused, crm.ErrValidation) {
		return fmt.Errorf("a nameless customer: want a validation error, got %v", refused)
	}
	fmt.Fprintf(out, "opening a nameless customer failed (%v): rolled back\n", refused)
	return e.report(ctx)
}

// openCustomer writes the ERP's credit line and the CRM account in one
// transaction that the ERP holds: crmkit joins it through WithTx.
func (e *erp) openCustomer(ctx context.Context, name string, creditCents int64) (err error) {
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback())
		}
	}()
	if _, err := tx.ExecContext(ctx, `INSERT INTO credit_line (customer, amount_cents) VALUES (?, ?)`, name, creditCents); err != nil {
		return fmt.Errorf("credit line: %w", err)
	}
	st := storage.New(e.crm.WithTx(tx), e.reg)
	limit := crm.NewMoney(decimal.New(creditCents, -2), "USD")
	acct, err := sales.NewAccounts(st).Create(ctx, sales.Account{Name: name, CreditLimit: &limit})
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE credit_line SET crm_account = ? WHERE customer = ?`, acct.ID[:], name); err != nil {
		return err
	}
	if creditCents <= 0 { // the ERP's own rule, checked last
		return fmt.Errorf("credit line for %s must be positive", name)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "opened %s: credit line %s and CRM account %q in one transaction\n", name, limit, acct.Name)
	return nil
}

// report counts what each side holds.
func (e *erp) report(ctx context.Context) error {
	var lines int
	if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM credit_line`).Scan(&lines); err != nil {
		return err
	}
	accounts, err := storage.New(e.crm, e.reg).Count(ctx, crm.Query{Entity: sales.AccountEntity})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "the ERP holds %d credit line(s), crmkit %d account(s)\n", lines, accounts)
	if lines != 1 || accounts != 1 {
		return fmt.Errorf("want 1 credit line and 1 account, got %d and %d", lines, accounts)
	}
	return nil
}
