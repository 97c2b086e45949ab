package driver

import (
	"context"

	"github.com/crmkit/crmkit/crm"
)

// StreamInserter is an optional capability of a Tx: the insert of many
// new records of one entity, asked for one at a time as the database
// takes them, so that the write path prepares each record while the
// database stores the ones before it (on PostgreSQL, one COPY), where
// Insert wants every record prepared first.
//
// InsertStream stores n records of e, as Insert does and failing as it
// does. It calls next for records 0 to n-1, in order, each once; next
// may run on a goroutine of the driver's, and must not use the
// transaction. An error from next stops the insert and InsertStream
// returns it as it is; the transaction may then hold part of the
// records, as after a failed Insert. A Tx that cannot stream the insert
// (too few records for its bulk path, no bulk path on its connection)
// reports false, having called next for none and written nothing.
type StreamInserter interface {
	InsertStream(ctx context.Context, e *crm.Entity, n int, next func(i int) (*crm.Record, error)) (bool, error)
}
