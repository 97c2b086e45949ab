package storagetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// testCreateSeq: CreateSeq writes a sequence longer than a chunk in one
// transaction, records pointing at records of earlier chunks, and writes
// nothing when any record fails.
func testCreateSeq(t *testing.T, open Opener) {
	const n = 2*storage.SeqChunk + 3
	seq := func(bad int, yieldErr error) func(yield func(crm.Record, error) bool) {
		return func(yield func(crm.Record, error) bool) {
			if !yield(crm.Record{Entity: account, Header: crm.Header{ID: testID(1)}, Fields: crm.Fields{"name": "Parent"}}, nil) {
				return
			}
			for i := 1; i < n; i++ {
				f := crm.Fields{"subject": fmt.Sprintf("task %05d", i), "regardingobjectid": crm.Ref{Entity: account, ID: testID(1)}}
				if i == bad {
					if yieldErr != nil {
						yield(crm.Record{}, yieldErr)
						return
					}
					f["priority"] = 7 // not an option
				}
				if !yield(crm.Record{Entity: task, Fields: f}, nil) {
					return
				}
			}
		}
	}
	t.Run("creates every record in one transaction", func(t *testing.T) {
		e := newEnv(t, open)
		got, err := e.store.CreateSeq(e.ctx, seq(-1, nil))
		require.NoError(t, err)
		require.Equal(t, n, got)
		require.EqualValues(t, n-1, e.count(task))
		last := e.all(crm.Query{Entity: task, Where: crm.Eq("subject", fmt.Sprintf("task %05d", n-1))})
		require.Len(t, last, 1)
		require.Equal(t, crm.Ref{Entity: account, ID: testID(1)}, last[0].Fields["regardingobjectid"])
	})
	t.Run("a bad record in a later chunk leaves nothing and is named", func(t *testing.T) {
		e := newEnv(t, open)
		bad := storage.SeqChunk + 7
		_, err := e.store.CreateSeq(e.ctx, seq(bad, nil))
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.ErrorContains(t, err, fmt.Sprintf("record %d:", bad))
		require.Zero(t, e.count(task))
		require.Zero(t, e.count(account))
	})
	t.Run("an error of the sequence leaves nothing", func(t *testing.T) {
		e := newEnv(t, open)
		boom := errors.New("source failed")
		_, err := e.store.CreateSeq(e.ctx, seq(storage.SeqChunk+1, boom))
		require.ErrorIs(t, err, boom)
		require.Zero(t, e.count(task))
	})
}
