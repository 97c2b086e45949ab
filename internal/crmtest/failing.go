package crmtest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

// ErrInjected is the error a FailingDriver's failing write returns.
var ErrInjected = errors.New("injected write failure")

// FailingDriver wraps a driver so that one write of its transactions fails:
// the atomicity tests of the domain packages run an operation with its 1st,
// 2nd, ... write failing and check that nothing of it remains. Writes are
// the transactions' Insert, Update, Delete and Patch calls, and
// DeleteUnreferenced calls that delete, counted from the last FailAt across
// every transaction begun on the driver. The wrapper hides the driver's
// other optional capabilities. It is safe for concurrent use. Set Driver
// before the first Begin (NewFailingDriver, or a zero FailingDriver whose
// Driver a store opener fills in).
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
		return fmt.Errorf("write %d: %w", d.writes, ErrInjected)
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

// InsertStream streams through the wrapped Tx when it can, and counts
// as a write, as Insert does, once the stream has begun: the write that
// fails is then the stream's, failing while the database takes its
// records.
func (t *failingTx) InsertStream(ctx context.Context, e *crm.Entity, n int, next func(i int) (*crm.Record, error)) (bool, error) {
	si, ok := t.Tx.(driver.StreamInserter)
	if !ok {
		return false, nil
	}
	return si.InsertStream(ctx, e, n, func(i int) (*crm.Record, error) {
		if i == 0 {
			if err := t.d.write(); err != nil {
				return nil, err
			}
		}
		return next(i)
	})
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

// Patch counts as a write when the wrapped Tx patches; one that cannot
// reports that it wrote nothing, which sends the store down Lock and
// Update.
func (t *failingTx) Patch(ctx context.Context, e *crm.Entity, p *driver.Patch) (crm.Record, bool, error) {
	pt, ok := t.Tx.(driver.Patcher)
	if !ok {
		return crm.Record{}, false, nil
	}
	if err := t.d.write(); err != nil {
		return crm.Record{}, false, err
	}
	return pt.Patch(ctx, e, p)
}

// DeleteUnreferenced runs the wrapped Tx's when it has one, and counts
// as a write when it deletes: the write that fails is then the record's
// delete, failing after the statement ran, as a commit can. Without one
// it is what the write path would do instead (Referrers, then Delete when
// nothing points at the record), so that a delete writes the same with or
// without the capability.
func (t *failingTx) DeleteUnreferenced(ctx context.Context, e *crm.Entity, id crm.ID, version int64, rels []crm.Relationship) (bool, [][]crm.ID, error) {
	ud, ok := t.Tx.(driver.UnreferencedDeleter)
	if !ok {
		found, err := t.Tx.Referrers(ctx, crm.Ref{Entity: e.Name, ID: id}, rels)
		if err != nil || slices.ContainsFunc(found, func(ids []crm.ID) bool { return len(ids) > 0 }) {
			return false, found, err
		}
		if err := t.Delete(ctx, e, id, version); err != nil {
			return false, nil, err
		}
		return true, nil, nil
	}
	deleted, found, err := ud.DeleteUnreferenced(ctx, e, id, version, rels)
	if err != nil || !deleted {
		return deleted, found, err
	}
	if err := t.d.write(); err != nil {
		return false, nil, err
	}
	return true, nil, nil
}

// Select is passed through explicitly so that the wrapper stays a Reader
// even if the embedded Tx grows methods.
func (t *failingTx) Select(ctx context.Context, p *driver.Plan) iter.Seq2[crm.Record, error] {
	return t.Tx.Select(ctx, p)
}
