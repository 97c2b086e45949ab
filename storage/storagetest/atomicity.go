package storagetest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/stretchr/testify/require"
)

// errInjected is the failure faultyDriver injects.
var errInjected = errors.New("injected write failure")

// faultyDriver wraps a driver so that the failAt-th write (Insert, Update
// or Delete) of its transactions fails, counting from the last arm.
type faultyDriver struct {
	driver.Driver
	mu     sync.Mutex
	failAt int // 0: never fail
	writes int
}

func (d *faultyDriver) arm(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failAt, d.writes = n, 0
}

// write counts one write and reports whether it must fail.
func (d *faultyDriver) write() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes++
	if d.failAt > 0 && d.writes == d.failAt {
		return fmt.Errorf("write %d: %w", d.writes, errInjected)
	}
	return nil
}

func (d *faultyDriver) Begin(ctx context.Context) (driver.Tx, error) {
	tx, err := d.Driver.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &faultyTx{Tx: tx, d: d}, nil
}

type faultyTx struct {
	driver.Tx
	d *faultyDriver
}

func (t *faultyTx) Insert(ctx context.Context, e *crm.Entity, recs []crm.Record) error {
	if err := t.d.write(); err != nil {
		return err
	}
	return t.Tx.Insert(ctx, e, recs)
}

func (t *faultyTx) Update(ctx context.Context, e *crm.Entity, rec crm.Record, prev int64) error {
	if err := t.d.write(); err != nil {
		return err
	}
	return t.Tx.Update(ctx, e, rec, prev)
}

func (t *faultyTx) Delete(ctx context.Context, e *crm.Entity, id crm.ID, version int64) error {
	if err := t.d.write(); err != nil {
		return err
	}
	return t.Tx.Delete(ctx, e, id, version)
}

// Patch counts as a write when the wrapped Tx patches; one that cannot
// reports that it wrote nothing, which sends the store down Lock and
// Update.
func (t *faultyTx) Patch(ctx context.Context, e *crm.Entity, p *driver.Patch) (crm.Record, bool, error) {
	pt, ok := t.Tx.(driver.Patcher)
	if !ok {
		return crm.Record{}, false, nil
	}
	if err := t.d.write(); err != nil {
		return crm.Record{}, false, err
	}
	return pt.Patch(ctx, e, p)
}

// Select is passed through explicitly so that the wrapper stays a Reader
// even if the embedded Tx grows methods.
func (t *faultyTx) Select(ctx context.Context, p *driver.Plan) iter.Seq2[crm.Record, error] {
	return t.Tx.Select(ctx, p)
}

func testAtomicity(t *testing.T, open Opener) {
	// everyN runs op with the Nth write failing, for N = 1, 2, ... until op
	// succeeds, and checks after every failure that the store holds
	// exactly what it held before. It returns the number of writes op made.
	everyN := func(t *testing.T, setup func(e *env), op func(e *env) error) int {
		t.Helper()
		for n := 1; ; n++ {
			fd := &faultyDriver{}
			e := newEnv(t, open, func(d driver.Driver) driver.Driver { fd.Driver = d; return fd })
			setup(e)
			before := e.dump()
			fd.arm(n)
			err := op(e)
			fd.mu.Lock()
			writes := fd.writes
			fd.mu.Unlock()
			fd.arm(0)
			if err == nil {
				require.Equal(t, n-1, writes, "a successful run makes every write before the one that would fail")
				return writes
			}
			require.ErrorIs(t, err, errInjected, "failing write %d", n)
			require.Equal(t, before, e.dump(), "after failing write %d the store must be exactly as before", n)
			require.Less(t, n, 1000, "the operation never succeeded")
		}
	}

	t.Run("a delete that cascades and removes links is all or nothing at every write", func(t *testing.T) {
		setup := func(e *env) {
			acc := e.createWithID(account, testID(1), crm.Fields{"name": "Doomed"})
			c1 := e.create(contact, crm.Fields{"lastname": "One", "parentcustomerid": acc.Ref()})
			c2 := e.create(contact, crm.Fields{"lastname": "Two", "parentcustomerid": acc.Ref()})
			e.create(contact, crm.Fields{"lastname": "Grandchild", "parentcustomerid": c2.Ref()})
			e.create(task, crm.Fields{"subject": "On account", "regardingobjectid": acc.Ref()})
			e.create(task, crm.Fields{"subject": "On contact", "regardingobjectid": c1.Ref()})
			e.create(account, crm.Fields{"name": "Child account", "parentaccountid": acc.Ref()})
			e.create(account, crm.Fields{"name": "Primary elsewhere", "primarycontactid": c1.ID})
			e.create(account, crm.Fields{"name": "Bystander"})
		}
		writes := everyN(t, setup, func(e *env) error {
			return e.store.Delete(e.ctx, crm.Ref{Entity: account, ID: testID(1)}, storage.AnyVersion)
		})
		// 1 account + 3 contacts + 2 tasks deleted, 2 links removed.
		require.Equal(t, 8, writes)
	})

	t.Run("a CreateMany is all or nothing at every write", func(t *testing.T) {
		setup := func(e *env) { e.create(account, crm.Fields{"name": "Existing"}) }
		writes := everyN(t, setup, func(e *env) error {
			_, err := e.store.CreateMany(e.ctx, []crm.Record{
				{Entity: account, Header: crm.Header{ID: testID(10)}, Fields: crm.Fields{"name": "A"}},
				{Entity: account, Fields: crm.Fields{"name": "B"}},
				{Entity: contact, Header: crm.Header{ID: testID(11)}, Fields: crm.Fields{"lastname": "C", "parentcustomerid": crm.Ref{Entity: account, ID: testID(10)}}},
				{Entity: task, Fields: crm.Fields{"subject": "T", "regardingobjectid": crm.Ref{Entity: contact, ID: testID(11)}}},
				{Entity: account, Fields: crm.Fields{"name": "D"}},
			})
			return err
		})
		require.Equal(t, 4, writes, "one insert per run of records of one entity")
	})

	t.Run("a transaction of several operations is all or nothing at every write", func(t *testing.T) {
		setup := func(e *env) {
			e.createWithID(account, testID(1), crm.Fields{"name": "Existing"})
			e.createWithID(task, testID(2), crm.Fields{"subject": "Open"})
		}
		writes := everyN(t, setup, func(e *env) error {
			return e.store.InTx(e.ctx, func(ctx context.Context) error {
				c, err := e.store.Create(ctx, crm.Record{Entity: contact, Fields: crm.Fields{"lastname": "New", "parentcustomerid": crm.Ref{Entity: account, ID: testID(1)}}})
				if err != nil {
					return err
				}
				if _, err := e.store.Update(ctx, crm.Record{Entity: account, Header: crm.Header{ID: testID(1)}, Fields: crm.Fields{"primarycontactid": c.ID}}); err != nil {
					return err
				}
				if _, err := e.store.SetState(ctx, crm.Ref{Entity: task, ID: testID(2)}, storage.AnyVersion, "complete", 0); err != nil {
					return err
				}
				_, err = e.store.Assign(ctx, crm.Ref{Entity: task, ID: testID(2)}, storage.AnyVersion, sales)
				return err
			})
		})
		require.Equal(t, 4, writes)
	})
}
