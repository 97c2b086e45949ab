package storage_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

func TestComputedFields(t *testing.T) {
	f := newFixture(t)
	ctx := crm.AsSystem(t.Context())
	rec, err := f.store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"firstname": "Nancy", "lastname": "Davolio"}})
	require.NoError(t, err)
	require.Equal(t, "Nancy Davolio", rec.Fields.String("fullname"))

	t.Run("recomputed when a field it reads changes", func(t *testing.T) {
		upd, err := f.store.Update(ctx, crm.Record{Entity: "contact", Header: crm.Header{ID: rec.ID}, Fields: crm.Fields{"lastname": "Fuller"}})
		require.NoError(t, err)
		require.Equal(t, "Nancy Fuller", upd.Fields.String("fullname"))
		require.Equal(t, "Nancy Fuller", f.get(t, rec.Ref()).Fields.String("fullname"))
	})
	t.Run("recomputed when a field it reads is cleared", func(t *testing.T) {
		upd, err := f.store.Update(ctx, crm.Record{Entity: "contact", Header: crm.Header{ID: rec.ID}, Fields: crm.Fields{"firstname": nil}})
		require.NoError(t, err)
		require.Equal(t, "Fuller", upd.Fields.String("fullname"))
	})
	t.Run("refused as input", func(t *testing.T) {
		_, err := f.store.Update(ctx, crm.Record{Entity: "contact", Header: crm.Header{ID: rec.ID}, Fields: crm.Fields{"fullname": "Someone Else"}})
		require.ErrorIs(t, err, crm.ErrValidation)
		_, err = f.store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"lastname": "X", "fullname": "Y"}})
		require.ErrorIs(t, err, crm.ErrValidation)
	})
}

func TestHierarchy(t *testing.T) {
	f := newFixture(t)
	ctx := crm.AsSystem(t.Context())
	// top <- middle <- bottom <- leaf
	top := f.createAccount(t, ctx, crm.Fields{"name": "Top"})
	middle := f.createAccount(t, ctx, crm.Fields{"name": "Middle", "parentaccountid": top.ID})
	bottom := f.createAccount(t, ctx, crm.Fields{"name": "Bottom", "parentaccountid": middle.ID})
	leaf := f.createAccount(t, ctx, crm.Fields{"name": "Leaf", "parentaccountid": bottom.ID})
	setParent := func(child, parent crm.Record) error {
		_, err := f.store.Update(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: child.ID}, Fields: crm.Fields{"parentaccountid": parent.ID}})
		return err
	}

	for _, tt := range []struct {
		name          string
		child, parent crm.Record
	}{
		{"a record cannot be its own parent", top, top},
		{"a record cannot be its child's child", top, middle},
		{"a record cannot be its descendant's child, three levels down", top, leaf},
		{"a middle record cannot be its grandchild's child", middle, leaf},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := setParent(tt.child, tt.parent)
			require.ErrorIs(t, err, crm.ErrValidation)
			var verr *crm.ValidationError
			require.ErrorAs(t, err, &verr)
			require.Equal(t, []crm.FieldError{{Field: "parentaccountid", Reason: "would make the record its own ancestor"}}, verr.Fields)
			require.Equal(t, tt.child.Version, f.get(t, tt.child.Ref()).Version, "nothing changed")
		})
	}
	t.Run("moving a branch elsewhere in the tree is allowed", func(t *testing.T) {
		other := f.createAccount(t, ctx, crm.Fields{"name": "Other"})
		require.NoError(t, setParent(bottom, other))
		require.NoError(t, setParent(other, top))
		require.NoError(t, setParent(middle, leaf), "middle is no longer above leaf")
	})
	t.Run("a hook cannot make a cycle either", func(t *testing.T) {
		g := newFixture(t)
		a := g.createAccount(t, ctx, crm.Fields{"name": "A"})
		b := g.createAccount(t, ctx, crm.Fields{"name": "B", "parentaccountid": a.ID})
		c := g.createAccount(t, ctx, crm.Fields{"name": "C", "parentaccountid": b.ID})
		require.NoError(t, g.store.Hook("account", storage.OpUpdate, storage.PreOperation, func(_ context.Context, ev *storage.Event) error {
			if ev.Target.ID == a.ID {
				ev.Target.Fields["parentaccountid"] = crm.Ref{Entity: "account", ID: c.ID}
			}
			return nil
		}))
		_, err := g.store.Update(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: a.ID}, Fields: crm.Fields{"employees": 1}})
		require.ErrorIs(t, err, crm.ErrValidation)
		require.Contains(t, err.Error(), "would make the record its own ancestor")
		require.Nil(t, g.get(t, a.Ref()).Fields["parentaccountid"])
	})
}

func TestCreateMany(t *testing.T) {
	t.Run("a record may point at one created before it in the same call", func(t *testing.T) {
		f := newFixture(t)
		parentID, accountID := crm.NewID(), crm.NewID()
		out, err := f.store.CreateMany(crm.AsSystem(t.Context()), []crm.Record{
			{Entity: "account", Header: crm.Header{ID: parentID}, Fields: crm.Fields{"name": "Parent"}},
			{Entity: "account", Header: crm.Header{ID: accountID}, Fields: crm.Fields{"name": "Child", "parentaccountid": parentID}},
			{Entity: "contact", Fields: crm.Fields{"lastname": "Davolio", "parentcustomerid": accountID}},
			{Entity: "account", Fields: crm.Fields{"name": "Grandchild", "parentaccountid": accountID}},
		})
		require.NoError(t, err)
		require.Len(t, out, 4)
		require.Equal(t, crm.Ref{Entity: "account", ID: accountID}, out[2].Fields.Ref("parentcustomerid"))
		require.Equal(t, int64(3), f.count(t, "account"))
		require.Equal(t, int64(1), f.count(t, "contact"))
		for _, rec := range out {
			require.Equal(t, rec, f.get(t, rec.Ref()), "what is returned is what is stored")
		}
	})
	t.Run("a record cannot point at one created after it", func(t *testing.T) {
		f := newFixture(t)
		later := crm.NewID()
		_, err := f.store.CreateMany(crm.AsSystem(t.Context()), []crm.Record{
			{Entity: "contact", Fields: crm.Fields{"lastname": "Davolio", "parentcustomerid": later}},
			{Entity: "account", Header: crm.Header{ID: later}, Fields: crm.Fields{"name": "Later"}},
		})
		require.ErrorIs(t, err, crm.ErrValidation)
		require.Contains(t, err.Error(), "record 0:")
		require.Zero(t, f.count(t, "account"))
	})
	t.Run("one bad record creates none and is named", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.store.CreateMany(crm.AsSystem(t.Context()), []crm.Record{
			{Entity: "account", Fields: crm.Fields{"name": "Good"}},
			{Entity: "account", Fields: crm.Fields{"name": "Good too"}},
			{Entity: "account", Fields: crm.Fields{}},
		})
		require.ErrorIs(t, err, crm.ErrValidation)
		require.Contains(t, err.Error(), "create 3 records of [account]: record 2:")
		require.Zero(t, f.count(t, "account"))
	})
	t.Run("an ID given twice is a duplicate", func(t *testing.T) {
		f := newFixture(t)
		id := crm.NewID()
		_, err := f.store.CreateMany(crm.AsSystem(t.Context()), []crm.Record{
			{Entity: "account", Header: crm.Header{ID: id}, Fields: crm.Fields{"name": "A"}},
			{Entity: "account", Header: crm.Header{ID: id}, Fields: crm.Fields{"name": "B"}},
		})
		require.ErrorIs(t, err, crm.ErrDuplicate)
		require.Zero(t, f.count(t, "account"))
	})
	t.Run("an unknown entity is not found", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.store.CreateMany(crm.AsSystem(t.Context()), []crm.Record{{Entity: "nowhere"}})
		require.ErrorIs(t, err, crm.ErrNotFound)
	})
	t.Run("nothing to create is nothing created", func(t *testing.T) {
		f := newFixture(t)
		out, err := f.store.CreateMany(crm.AsSystem(t.Context()), nil)
		require.NoError(t, err)
		require.Empty(t, out)
	})
}

func TestCreateHeader(t *testing.T) {
	f := newFixture(t)
	ctx := crm.AsSystem(t.Context())
	t.Run("the caller may give the ID, owner and an initial status", func(t *testing.T) {
		id, team := crm.NewID(), crm.Ref{Entity: crm.TeamEntity, ID: crm.NewID()}
		rec, err := f.store.Create(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: id, Owner: team, Status: 1}, Fields: crm.Fields{"name": "Contoso"}})
		require.NoError(t, err)
		require.Equal(t, id, rec.ID)
		require.Equal(t, team, rec.Owner)
	})
	t.Run("every other header field is the store's", func(t *testing.T) {
		rec, err := f.store.Create(ctx, crm.Record{Entity: "account", Header: crm.Header{Version: 9, CreatedOn: start.AddDate(-1, 0, 0), CreatedBy: crm.NewID()}, Fields: crm.Fields{"name": "Contoso"}})
		require.NoError(t, err)
		require.Equal(t, int64(1), rec.Version)
		require.Equal(t, start, rec.CreatedOn)
		require.Equal(t, crm.SystemUser.ID, rec.CreatedBy)
		require.NotEqual(t, crm.NilID, rec.ID)
	})
	t.Run("an owner that is not a user or team is refused with the fields", func(t *testing.T) {
		_, err := f.store.Create(ctx, crm.Record{Entity: "account", Header: crm.Header{Owner: crm.Ref{Entity: "account", ID: crm.NewID()}, Status: 2}, Fields: crm.Fields{}})
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.True(t, verr.Has(crm.FieldOwner))
		require.True(t, verr.Has(crm.FieldStatus), "status 2 belongs to Inactive, not the initial state")
		require.True(t, verr.Has("name"))
	})
}

func TestImmutableFields(t *testing.T) {
	f := newFixture(t)
	ctx := crm.AsSystem(t.Context())
	rec := f.createAccount(t, ctx, crm.Fields{"name": "Contoso", "accountnumber": "A-1"})
	update := func(fields crm.Fields) error {
		_, err := f.store.Update(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: rec.ID}, Fields: fields})
		return err
	}
	t.Run("sending the stored value back is no change", func(t *testing.T) {
		require.NoError(t, update(crm.Fields{"accountnumber": "A-1", "employees": 2}))
	})
	t.Run("a new value is refused", func(t *testing.T) {
		err := update(crm.Fields{"accountnumber": "A-2"})
		require.ErrorIs(t, err, crm.ErrValidation)
		require.Contains(t, err.Error(), "accountnumber cannot be changed after the record is created")
	})
	t.Run("clearing it is refused", func(t *testing.T) {
		require.ErrorIs(t, update(crm.Fields{"accountnumber": nil}), crm.ErrValidation)
	})
	t.Run("an immutable field left empty on create stays empty", func(t *testing.T) {
		bare := f.createAccount(t, ctx, crm.Fields{"name": "Bare"})
		_, err := f.store.Update(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: bare.ID}, Fields: crm.Fields{"accountnumber": nil}})
		require.NoError(t, err, "nil over nil is no change")
		_, err = f.store.Update(ctx, crm.Record{Entity: "account", Header: crm.Header{ID: bare.ID}, Fields: crm.Fields{"accountnumber": "B-1"}})
		require.ErrorIs(t, err, crm.ErrValidation)
	})
	require.Equal(t, "A-1", f.get(t, rec.Ref()).Fields.String("accountnumber"))
}
