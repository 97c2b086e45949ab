package sqlstore

import (
	"context"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

var _ driver.StreamInserter = (*tx)(nil)

// InsertStream is Insert with the records asked for while the database
// stores the ones before them, so that the Store prepares each record
// while the database works: through one COPY on PostgreSQL (pgx asks for
// the rows on a goroutine of its own as it sends them), else in
// multi-row INSERTs, a goroutine of InsertStream's preparing and encoding
// the records of the next statement while one runs. It streams what
// Insert would write in more than one statement.
func (t *tx) InsertStream(ctx context.Context, e *crm.Entity, n int, next func(i int) (*crm.Record, error)) (bool, error) {
	if err := t.usable(ctx); err != nil {
		return false, err
	}
	tb, err := t.d.table(e)
	if err != nil {
		return false, err
	}
	per := t.d.insertBatch(tb)
	if n <= per {
		return false, nil
	}
	if t.conn != nil {
		if copied, err := t.copyRows(ctx, tb, n, next); copied || err != nil {
			return true, err
		}
	}
	return true, t.insertStream(ctx, tb, n, per, next)
}

// statement is the encoded parameters of one multi-row INSERT of
// insertStream, or the error that ended the records.
type statement struct {
	args *argBuf
	rows int
	err  error
}

// insertStream writes n records in multi-row INSERTs of up to per rows,
// as Insert does, while a goroutine asks next for the records of the
// following statement and encodes them: two parameter buffers take
// turns, one filled while the other's statement runs.
func (t *tx) insertStream(ctx context.Context, tb *table, n, per int, next func(i int) (*crm.Record, error)) error {
	free := make(chan *argBuf, 2)
	free <- &argBuf{}
	free <- &argBuf{}
	ready := make(chan statement)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for start := 0; start < n; {
			var b *argBuf
			select {
			case b = <-free:
			case <-stop:
				return
			}
			st := statement{args: b, rows: t.d.insertRows(n-start, per)}
			for i := range st.rows {
				select {
				case <-stop: // the statement before failed
					return
				default:
				}
				rec, err := next(start + i)
				if err == nil {
					err = tb.encodeRow(b, rec)
				}
				if err != nil {
					st.err = err
					break
				}
			}
			select {
			case ready <- st:
			case <-stop:
				return
			}
			if st.err != nil {
				return
			}
			start += st.rows
		}
	}()
	// The goroutine has stopped, and calls next no more, once
	// insertStream returns.
	defer func() {
		close(stop)
		<-done
	}()
	for written := 0; written < n; {
		st := <-ready
		if st.err != nil {
			return st.err
		}
		r, err := t.insertRunner(ctx, tb, st.rows, per)
		if err != nil {
			return err
		}
		if _, err := r.ExecContext(ctx, st.args.args...); err != nil {
			return t.d.keyErr(tb, t.d.mapErr("insert "+tb.entity.Name, err))
		}
		written += st.rows
		st.args.resetStatement()
		free <- st.args
	}
	return nil
}
