package storage_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// account is a typed record, as a domain package would declare one.
type account struct {
	crm.Header
	Name          string
	AccountNumber string
	Employees     *int64
	Parent        crm.ID
}

// accountCodec is the smallest codec: every field the type carries, nil
// where it has no value.
var accountCodec = storage.Codec[account]{
	Entity: "account",
	Encode: func(a account) crm.Record {
		f := crm.Fields{"name": a.Name, "accountnumber": nil, "employees": nil, "parentaccountid": nil}
		if a.AccountNumber != "" {
			f["accountnumber"] = a.AccountNumber
		}
		if a.Employees != nil {
			f["employees"] = *a.Employees
		}
		if a.Parent != crm.NilID {
			f["parentaccountid"] = a.Parent
		}
		return crm.Record{Header: a.Header, Fields: f}
	},
	Decode: func(rec crm.Record) (account, error) {
		a := account{Header: rec.Header, Name: rec.Fields.String("name"), AccountNumber: rec.Fields.String("accountnumber"), Parent: rec.Fields.Ref("parentaccountid").ID}
		if n, ok := rec.Fields["employees"].(int64); ok {
			a.Employees = &n
		}
		return a, nil
	},
}

func TestTable(t *testing.T) {
	f := newFixture(t)
	ctx := crm.AsSystem(t.Context())
	accounts := storage.NewTable(f.store, accountCodec)
	require.Equal(t, "account", accounts.Entity())
	require.Same(t, f.store, accounts.Store())

	ten := int64(10)
	parent, err := accounts.Create(ctx, account{Name: "Parent"})
	require.NoError(t, err)
	created, err := accounts.Create(ctx, account{Name: "Contoso", AccountNumber: "A-1", Employees: &ten, Parent: parent.ID})
	require.NoError(t, err)

	t.Run("create fills in the header", func(t *testing.T) {
		require.NotEqual(t, crm.NilID, created.ID)
		require.Equal(t, int64(1), created.Version)
		require.Equal(t, start, created.CreatedOn)
		require.Equal(t, stateActive, created.State)
	})
	t.Run("get returns what create stored", func(t *testing.T) {
		got, err := accounts.Get(ctx, created.ID)
		require.NoError(t, err)
		require.Equal(t, created, got)
		require.Equal(t, parent.ID, got.Parent)
		require.Equal(t, int64(10), *got.Employees)
	})
	t.Run("update writes every field and checks the version", func(t *testing.T) {
		v := created
		v.Name = "Contoso Ltd"
		v.Employees = nil
		upd, err := accounts.Update(ctx, v)
		require.NoError(t, err)
		require.Equal(t, "Contoso Ltd", upd.Name)
		require.Nil(t, upd.Employees, "a nil field is cleared")
		require.Equal(t, "A-1", upd.AccountNumber)
		require.Equal(t, int64(2), upd.Version)

		_, err = accounts.Update(ctx, v) // v still has version 1
		require.ErrorIs(t, err, crm.ErrConflict)
	})
	t.Run("an immutable field still cannot change", func(t *testing.T) {
		cur, err := accounts.Get(ctx, created.ID)
		require.NoError(t, err)
		cur.AccountNumber = "A-2"
		_, err = accounts.Update(ctx, cur)
		require.ErrorIs(t, err, crm.ErrValidation)
	})
	t.Run("query, iterate and count decode records", func(t *testing.T) {
		page, err := accounts.Query(ctx, crm.Query{Where: crm.NotNull("parentaccountid")})
		require.NoError(t, err)
		require.Len(t, page.Records, 1)
		require.False(t, page.More)
		require.Equal(t, created.ID, page.Records[0].ID)

		page, err = accounts.Query(ctx, crm.Query{OrderBy: []crm.Order{crm.Asc("name")}, Limit: 1})
		require.NoError(t, err)
		require.True(t, page.More)
		require.Equal(t, "Contoso Ltd", page.Records[0].Name)
		page, err = accounts.Query(ctx, crm.Query{OrderBy: []crm.Order{crm.Asc("name")}, Limit: 1, After: page.Next})
		require.NoError(t, err)
		require.Equal(t, "Parent", page.Records[0].Name)

		var names []string
		for a, err := range accounts.Iterate(ctx, crm.Query{OrderBy: []crm.Order{crm.Desc("name")}}) {
			require.NoError(t, err)
			names = append(names, a.Name)
		}
		require.Equal(t, []string{"Parent", "Contoso Ltd"}, names)

		n, err := accounts.Count(ctx, crm.Query{Where: crm.Eq("name", "parent")})
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
	})
	t.Run("update refuses AnyVersion: it writes every field", func(t *testing.T) {
		cur, err := accounts.Get(ctx, created.ID)
		require.NoError(t, err)
		cur.Version = storage.AnyVersion
		cur.Name = "Blind"
		_, err = accounts.Update(ctx, cur)
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.Equal(t, crm.FieldVersion, verr.Fields[0].Field)
	})
	t.Run("create many in one call, all or nothing", func(t *testing.T) {
		got, err := accounts.CreateMany(ctx, []account{{Name: "One"}, {Name: "Two"}})
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, "Two", got[1].Name)
		require.Equal(t, int64(1), got[1].Version)

		_, err = accounts.CreateMany(ctx, []account{{Name: "Three"}, {Name: ""}})
		require.ErrorIs(t, err, crm.ErrValidation)
		n, err := accounts.Count(ctx, crm.Query{Where: crm.Eq("name", "Three")})
		require.NoError(t, err)
		require.Zero(t, n)
	})
	t.Run("assign changes the owner", func(t *testing.T) {
		cur, err := accounts.Get(ctx, created.ID)
		require.NoError(t, err)
		team := crm.Ref{Entity: crm.TeamEntity, ID: crm.NewID()}
		got, err := accounts.Assign(ctx, cur.ID, cur.Version, team)
		require.NoError(t, err)
		require.Equal(t, team, got.Owner)
		require.Equal(t, cur.Version+1, got.Version)
	})
	t.Run("set state and delete", func(t *testing.T) {
		cur, err := accounts.Get(ctx, created.ID)
		require.NoError(t, err)
		closed, err := accounts.SetState(ctx, cur.ID, cur.Version, "deactivate", 0)
		require.NoError(t, err)
		require.Equal(t, stateInactive, closed.State)
		require.NoError(t, accounts.Delete(ctx, closed.ID, closed.Version))
		_, err = accounts.Get(ctx, closed.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.Equal(t, crm.Ref{Entity: "account", ID: closed.ID}, accounts.Ref(closed.ID))
	})
	t.Run("a decode error names the record", func(t *testing.T) {
		errBad := errors.New("bad record")
		broken := storage.NewTable(f.store, storage.Codec[account]{
			Entity: "account",
			Encode: accountCodec.Encode,
			Decode: func(crm.Record) (account, error) { return account{}, errBad },
		})
		_, err := broken.Get(ctx, parent.ID)
		require.ErrorIs(t, err, errBad)
		require.Contains(t, err.Error(), "decode account "+parent.ID.String())
		for _, err := range broken.Iterate(ctx, crm.Query{}) {
			require.ErrorIs(t, err, errBad)
		}
	})
}
