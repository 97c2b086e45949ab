package crmtest

import (
	"context"
	"errors"
	"sync"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// ErrInjected is the error a FailingDriver's failing write returns.
var ErrInjected = errors.New("injected write failure")

// FailingDriver wraps a driver so that one write of its transactions
// fails: the atomicity tests of the domain packages run an operation with
// its 1st, 2nd, ... write failing and check that nothing of it remains.
// Writes are the transactions' Insert, Update and Delete calls, counted
// from the last FailAt across every transaction begun on the driver. The
// wrapper hides the driver's optional capabilities (driver.Patcher, ...),
// so every change goes through those three calls. It is safe for
// concurrent use.
type FailingDriver struct {
	driver.Driver
	mu             sync.Mutex
	failAt, writes int
}

// NewFailingDriver returns d wrapped, failing no write until FailAt.
func NewFailingDriver(d driver.Driver) *FailingDriver { return &FailingDriver{Driver: d} }

// FailAt makes the n-th write from now fail with ErrInjected (0: none)
// and starts counting writes again.
func (d *FailingDriver) FailAt(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failAt, d.writes = n, 0
}

// Writes returns how many writes were made since the last FailAt, the
// failed one included.
func (d *FailingDriver) Writes() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.writes
}

// Begin begins a transaction whose writes count.
func (d *FailingDriver) Begin(ctx context.Context) (driver.Tx, error) {
	tx, err := d.Driver.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &failingTx{Tx: tx, d: d}, nil
}

func (d *FailingDriver) write() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes++
	if d.failAt > 0 && d.writes == d.failAt {
		return ErrInjected
	}
	return nil
}

type failingTx struct {
	driver.Tx
	d *FailingDriver
}

func (t *failingTx) Insert(ctx context.Context, e *crm.Entity, recs []crm.Record) error {
	if err := t.d.write(); err != nil {
		return err
	}
	return t.Tx.Insert(ctx, e, recs)
}

func (t *failingTx) Update(ctx context.Context, e *crm.Entity, rec crm.Record, prev int64) error {
	if err := t.d.write(); err != nil {
		return err
	}
	return t.Tx.Update(ctx, e, rec, prev)
}

func (t *failingTx) Delete(ctx context.Context, e *crm.Entity, id crm.ID, version int64) error {
	if err := t.d.write(); err != nil {
		return err
	}
	return t.Tx.Delete(ctx, e, id, version)
}
