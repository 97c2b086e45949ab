package storagetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

// testBulk: a CreateMany checks each record as a Create would, in the
// order of the call, however the adapter writes the records (one at a
// time, in multi-row INSERTs, or streamed through one COPY as they are
// prepared: TestConformancePostgresCopy streams every call of three
// records or more).
func testBulk(t *testing.T, open Opener) {
	// contacts returns n contacts of the account parent, with IDs
	// testID(100+i); mod may change them.
	contacts := func(parent crm.Ref, n int, mod func(recs []crm.Record)) []crm.Record {
		recs := make([]crm.Record, n)
		for i := range recs {
			recs[i] = crm.Record{Entity: contact, Header: crm.Header{ID: testID(100 + i)},
				Fields: crm.Fields{"lastname": fmt.Sprintf("C%d", i), "parentcustomerid": parent}}
		}
		mod(recs)
		return recs
	}
	contactRef := func(i int) crm.Ref { return crm.Ref{Entity: contact, ID: testID(100 + i)} }
	const n = 8

	t.Run("a record may point at one created before it in the call", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Parent"})
		var seen []string
		require.NoError(t, e.store.Hook(contact, storage.OpCreate, storage.PostOperation, func(_ context.Context, ev *storage.Event) error {
			seen = append(seen, ev.Target.Fields.String("lastname"))
			return nil
		}))
		out, err := e.store.CreateMany(e.ctx, contacts(acc.Ref(), n, func(recs []crm.Record) {
			recs[3].Fields["parentcustomerid"] = contactRef(1)
			recs[7].Fields["parentcustomerid"] = contactRef(6)
		}))
		require.NoError(t, err)
		require.Len(t, out, n)
		want := make([]string, n)
		for i, rec := range out {
			want[i] = fmt.Sprintf("C%d", i)
			require.Equal(t, rec, e.get(contact, rec.ID), "CreateMany returns what it stored")
		}
		require.Equal(t, want, seen, "a post-operation hook sees every record, in order")
		require.Equal(t, contactRef(1), out[3].Fields.Ref("parentcustomerid"))
		require.Equal(t, contactRef(6), out[7].Fields.Ref("parentcustomerid"))
		require.Equal(t, acc.Ref(), out[5].Fields.Ref("parentcustomerid"))
	})

	// refused runs a CreateMany that must fail at record bad, for its
	// field, and change nothing.
	refused := func(t *testing.T, e *env, recs []crm.Record, bad int, field, reason string) {
		t.Helper()
		before := e.dump()
		_, err := e.store.CreateMany(e.ctx, recs)
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.ErrorContains(t, err, fmt.Sprintf("record %d:", bad))
		require.True(t, verr.Has(field), "%v names %s", err, field)
		require.ErrorContains(t, err, reason)
		require.Equal(t, before, e.dump(), "a refused CreateMany changes nothing")
	}
	missing := crm.Ref{Entity: account, ID: testID(99)}

	t.Run("a lookup to no record fails the call and names the record", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Parent"})
		refused(t, e, contacts(acc.Ref(), n, func(recs []crm.Record) {
			recs[5].Fields["parentcustomerid"] = missing
		}), 5, "parentcustomerid", "does not exist")
	})

	t.Run("a record may not point at one created after it in the call", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Parent"})
		refused(t, e, contacts(acc.Ref(), n, func(recs []crm.Record) {
			recs[2].Fields["parentcustomerid"] = contactRef(6)
		}), 2, "parentcustomerid", "does not exist")
	})

	t.Run("the first bad record is named, whatever is wrong with it", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Parent"})
		refused(t, e, contacts(acc.Ref(), n, func(recs []crm.Record) {
			delete(recs[2].Fields, "lastname")
			recs[5].Fields["parentcustomerid"] = missing
		}), 2, "lastname", "is required")
		refused(t, e, contacts(acc.Ref(), n, func(recs []crm.Record) {
			recs[2].Fields["parentcustomerid"] = missing
			delete(recs[5].Fields, "lastname")
		}), 2, "parentcustomerid", "does not exist")
		refused(t, e, contacts(acc.Ref(), n, func(recs []crm.Record) {
			recs[n-1].Fields["lastname"] = 42
		}), n-1, "lastname", "wants a text value")
	})

	t.Run("one ID twice in a call is a duplicate, named", func(t *testing.T) {
		e := newEnv(t, open)
		acc := e.create(account, crm.Fields{"name": "Parent"})
		before := e.dump()
		_, err := e.store.CreateMany(e.ctx, contacts(acc.Ref(), n, func(recs []crm.Record) {
			recs[6].ID = recs[4].ID
		}))
		require.ErrorIs(t, err, crm.ErrDuplicate)
		require.ErrorContains(t, err, "record 6:")
		require.Equal(t, before, e.dump())
	})

	t.Run("a computed field that panics reaches the caller and leaves nothing", func(t *testing.T) {
		e := newEnvChanged(t, open, func(reg *crm.Registry) {
			require.NoError(t, reg.Register(&crm.Entity{Name: "label", PrimaryName: "text", Fields: []crm.Field{
				{Name: "text", Type: crm.TypeText, MaxLength: 20},
				{Name: "accountid", Type: crm.TypeLookup, Targets: []string{account}},
				{Name: "shout", Type: crm.TypeText, MaxLength: 20, Compute: func(f crm.Fields) any {
					if f.String("text") == "boom" {
						panic("label: boom")
					}
					return strings.ToUpper(f.String("text"))
				}},
			}}))
		})
		acc := e.create(account, crm.Fields{"name": "Parent"})
		recs := make([]crm.Record, n)
		for i := range recs {
			recs[i] = crm.Record{Entity: "label", Fields: crm.Fields{"text": fmt.Sprintf("l%d", i), "accountid": acc.Ref()}}
		}
		recs[5].Fields["text"] = "boom"
		before := e.dump()
		require.PanicsWithValue(t, "label: boom", func() { _, _ = e.store.CreateMany(e.ctx, recs) })
		require.Equal(t, before, e.dump(), "nothing of the call is stored")
		require.Zero(t, e.count("label"))
		recs[5].Fields["text"] = "calm"
		out, err := e.store.CreateMany(e.ctx, recs)
		require.NoError(t, err, "the store goes on")
		require.Equal(t, "CALM", out[5].Fields.String("shout"))
	})
}
