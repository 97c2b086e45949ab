package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/stretchr/testify/require"
)

func testCRUD(t *testing.T, open Opener) {
	t.Run("every field type round-trips exactly through create, get, update and delete", func(t *testing.T) {
		e := newEnv(t, open)
		parent := e.create(account, crm.Fields{"name": "Parent"})
		c := e.create(contact, crm.Fields{"lastname": "Primary"})
		ist := time.FixedZone("IST", 5*3600+1800)
		pdt := time.FixedZone("PDT", -7*3600)
		in := crm.Fields{
			"name":              "Contoso Ltd",
			"accountnumber":     "AC-001",
			"city":              "Zürich",
			"numberofemployees": 250, // an int becomes an int64
			"rating":            dec("4.5"),
			"creditlimit":       money("12345.6 USD"),
			"creditonhold":      false,
			"lastcontactedon":   time.Date(2026, 3, 14, 18, 4, 5, 123456789, ist),
			"foundedon":         time.Date(2001, 5, 20, 23, 30, 0, 0, pdt),
			"category":          2,
			"parentaccountid":   parent.Ref(),
			"primarycontactid":  c.ID, // a single-target lookup takes a bare ID
		}
		want := crm.Fields{
			"name":              "Contoso Ltd",
			"accountnumber":     "AC-001",
			"city":              "Zürich",
			"numberofemployees": int64(250),
			"rating":            dec("4.50"),
			"creditlimit":       money("12345.60 USD"),
			"creditonhold":      false,
			"lastcontactedon":   time.Date(2026, 3, 14, 12, 34, 5, 123456000, time.UTC),
			"foundedon":         time.Date(2001, 5, 20, 0, 0, 0, 0, time.UTC),
			"category":          int32(2),
			"parentaccountid":   crm.Ref{Entity: account, ID: parent.ID},
			"primarycontactid":  crm.Ref{Entity: contact, ID: c.ID},
		}
		created := e.create(account, in)
		requireFields(t, want, created.Fields, "create returns")
		got := e.get(account, created.ID)
		requireFields(t, want, got.Fields, "get after create")
		require.Equal(t, account, got.Entity)
		require.Equal(t, created.ID, got.ID)

		changes := crm.Fields{
			"name":              "Contoso Holdings",
			"city":              "Paris",
			"numberofemployees": int64(-2147483648),
			"rating":            dec("-0.01"),
			"creditlimit":       money("0.5 EUR"),
			"creditonhold":      true,
			"lastcontactedon":   time.Date(1753, 1, 1, 0, 0, 0, 1000, time.UTC),
			"foundedon":         time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
			"category":          int32(1),
			"parentaccountid":   nil,
		}
		updated, err := e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: created.ID, Version: 1}, Fields: changes})
		require.NoError(t, err)
		want = crm.Fields{
			"name":              "Contoso Holdings",
			"accountnumber":     "AC-001",
			"city":              "Paris",
			"numberofemployees": int64(-2147483648),
			"rating":            dec("-0.01"),
			"creditlimit":       money("0.50 EUR"),
			"creditonhold":      true,
			"lastcontactedon":   time.Date(1753, 1, 1, 0, 0, 0, 1000, time.UTC),
			"foundedon":         time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
			"category":          int32(1),
			"primarycontactid":  crm.Ref{Entity: contact, ID: c.ID},
		}
		requireFields(t, want, updated.Fields, "update returns")
		requireFields(t, want, e.get(account, created.ID).Fields, "get after update")

		require.NoError(t, e.store.Delete(e.ctx, created.Ref(), 2))
		_, err = e.store.Get(e.ctx, account, created.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.True(t, e.exists(account, parent.ID), "deleting a child account leaves its parent")
	})

	t.Run("large values keep every digit", func(t *testing.T) {
		e := newEnv(t, open)
		want := crm.Fields{
			"name":              "Big",
			"numberofemployees": int64(2147483647),
			"rating":            dec("99999999999.99"),
			"creditlimit":       money("922337203685477 USD"),
		}
		rec := e.create(account, want)
		requireFields(t, want, e.get(account, rec.ID).Fields)
		want = crm.Fields{"name": "Small", "creditlimit": money("-0.001 BHD"), "rating": dec("-99999999999.99")}
		rec = e.create(account, want)
		requireFields(t, want, e.get(account, rec.ID).Fields)
	})

	t.Run("the version starts at 1 and grows by one with every write", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(task, crm.Fields{"subject": "Call back"})
		require.EqualValues(t, 1, rec.Version)
		rec, err := e.store.Update(e.ctx, crm.Record{Entity: task, Header: crm.Header{ID: rec.ID, Version: 1}, Fields: crm.Fields{"priority": 2}})
		require.NoError(t, err)
		require.EqualValues(t, 2, rec.Version)
		rec, err = e.store.SetState(e.ctx, rec.Ref(), 2, "complete", 0)
		require.NoError(t, err)
		require.EqualValues(t, 3, rec.Version)
		rec, err = e.store.Assign(e.ctx, rec.Ref(), 3, sales)
		require.NoError(t, err)
		require.EqualValues(t, 4, rec.Version)
		require.EqualValues(t, 4, e.get(task, rec.ID).Version)
	})

	t.Run("created and modified on come from the injected clock", func(t *testing.T) {
		e := newEnv(t, open)
		e.clock.Set(time.Date(2026, 3, 15, 12, 0, 0, 123456789, time.UTC))
		rec := e.create(account, crm.Fields{"name": "Clocked"})
		created := time.Date(2026, 3, 15, 12, 0, 0, 123456000, time.UTC)
		require.True(t, created.Equal(rec.CreatedOn), "created on %s", rec.CreatedOn)
		require.True(t, created.Equal(rec.ModifiedOn), "modified on %s", rec.ModifiedOn)
		e.clock.Advance(90 * time.Minute)
		_, err := e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: rec.ID}, Fields: crm.Fields{"city": "Oslo"}})
		require.NoError(t, err)
		got := e.get(account, rec.ID)
		require.True(t, created.Equal(got.CreatedOn), "created on must not move: %s", got.CreatedOn)
		require.True(t, created.Add(90*time.Minute).Equal(got.ModifiedOn), "modified on %s", got.ModifiedOn)
		_, offset := got.ModifiedOn.Zone()
		require.Zero(t, offset, "header times are UTC")
	})

	t.Run("created and modified by come from the caller, who owns the record by default", func(t *testing.T) {
		e := newEnv(t, open)
		rec, err := e.store.Create(crm.WithCaller(e.ctx, alice), crm.Record{Entity: account, Fields: crm.Fields{"name": "Owned"}})
		require.NoError(t, err)
		got := e.get(account, rec.ID)
		require.Equal(t, alice, got.CreatedBy)
		require.Equal(t, alice, got.ModifiedBy)
		require.Equal(t, crm.Ref{Entity: crm.UserEntity, ID: alice}, got.Owner)
		_, err = e.store.Update(crm.WithCaller(e.ctx, bob), crm.Record{Entity: account, Header: crm.Header{ID: rec.ID}, Fields: crm.Fields{"city": "Rome"}})
		require.NoError(t, err)
		got = e.get(account, rec.ID)
		require.Equal(t, alice, got.CreatedBy)
		require.Equal(t, bob, got.ModifiedBy)
		require.Equal(t, crm.Ref{Entity: crm.UserEntity, ID: alice}, got.Owner, "an update does not change the owner")

		noCaller := e.create(account, crm.Fields{"name": "System"})
		require.Equal(t, crm.SystemUser, e.get(account, noCaller.ID).Owner)

		teamOwned := e.createRec(crm.Record{Entity: account, Header: crm.Header{Owner: sales}, Fields: crm.Fields{"name": "Team"}})
		require.Equal(t, sales, e.get(account, teamOwned.ID).Owner)
	})

	t.Run("get of a missing ID is ErrNotFound", func(t *testing.T) {
		e := newEnv(t, open)
		_, err := e.store.Get(e.ctx, account, testID(1))
		require.ErrorIs(t, err, crm.ErrNotFound)
		_, err = e.store.Get(e.ctx, "nosuchentity", testID(1))
		require.ErrorIs(t, err, crm.ErrNotFound)
	})

	t.Run("update and delete of a missing ID are ErrNotFound", func(t *testing.T) {
		e := newEnv(t, open)
		_, err := e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: testID(1)}, Fields: crm.Fields{"city": "X"}})
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.ErrorIs(t, e.store.Delete(e.ctx, crm.Ref{Entity: account, ID: testID(1)}, storage.AnyVersion), crm.ErrNotFound)
	})

	t.Run("create with an existing ID is ErrDuplicate", func(t *testing.T) {
		e := newEnv(t, open)
		e.createWithID(account, testID(7), crm.Fields{"name": "First"})
		before := e.dump()
		_, err := e.store.Create(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: testID(7)}, Fields: crm.Fields{"name": "Second"}})
		require.ErrorIs(t, err, crm.ErrDuplicate)
		_, err = e.store.CreateMany(e.ctx, []crm.Record{
			{Entity: account, Header: crm.Header{ID: testID(8)}, Fields: crm.Fields{"name": "Third"}},
			{Entity: account, Header: crm.Header{ID: testID(8)}, Fields: crm.Fields{"name": "Fourth"}},
		})
		require.ErrorIs(t, err, crm.ErrDuplicate, "one ID twice in one call")
		require.Equal(t, before, e.dump(), "a refused create changes nothing")
		require.Equal(t, "First", e.get(account, testID(7)).Fields.String("name"))
	})

	t.Run("a create on its own stores what a transaction stores", func(t *testing.T) {
		// An account with no lookup set needs nothing but its record:
		// an adapter may insert it in a statement of its own
		// (driver.AloneInserter).
		e := newEnv(t, open)
		fields := crm.Fields{"name": "Alone", "city": "Oslo"}
		alone := e.create(account, fields)
		var inTx crm.Record
		require.NoError(t, e.store.InTx(e.ctx, func(ctx context.Context) error {
			var err error
			inTx, err = e.store.Create(ctx, crm.Record{Entity: account, Fields: fields})
			return err
		}))
		require.Equal(t, alone, e.get(account, alone.ID), "what Create returned is what is stored")
		inTx.ID = alone.ID
		require.Equal(t, alone, inTx, "the same header and fields either way")

		var seen []string
		require.NoError(t, e.store.Hook(account, storage.OpCreate, storage.PreOperation, func(_ context.Context, ev *storage.Event) error {
			seen = append(seen, ev.Target.Fields.String("name"))
			return nil
		}))
		e.create(account, crm.Fields{"name": "Watched"})
		require.Equal(t, []string{"Watched"}, seen, "a hook added later sees the next create")
	})

	t.Run("values are copied in and out", func(t *testing.T) {
		e := newEnv(t, open)
		in := crm.Fields{"name": "Original", "city": "Paris"}
		rec := e.create(account, in)
		in["name"] = "changed input"
		rec.Fields["city"] = "changed output"
		got := e.get(account, rec.ID)
		require.Equal(t, "Original", got.Fields.String("name"), "changing the input map changes nothing stored")
		require.Equal(t, "Paris", got.Fields.String("city"), "changing a returned record changes nothing stored")

		got.Fields["city"] = "changed get"
		delete(got.Fields, "name")
		page, err := e.store.Query(e.ctx, crm.Query{Entity: account})
		require.NoError(t, err)
		require.Len(t, page.Records, 1)
		require.Equal(t, "Paris", page.Records[0].Fields.String("city"))
		page.Records[0].Fields["city"] = "changed query"
		for r, err := range e.store.Iterate(e.ctx, crm.Query{Entity: account}) {
			require.NoError(t, err)
			r.Fields["city"] = "changed iterate"
		}
		got = e.get(account, rec.ID)
		require.Equal(t, crm.Fields{"name": "Original", "city": "Paris"}, got.Fields)

		changes := crm.Fields{"city": "Lyon"}
		updated, err := e.store.Update(e.ctx, crm.Record{Entity: account, Header: crm.Header{ID: rec.ID}, Fields: changes})
		require.NoError(t, err)
		changes["city"] = "changed update input"
		updated.Fields["city"] = "changed update output"
		require.Equal(t, "Lyon", e.get(account, rec.ID).Fields.String("city"))
	})

	t.Run("a typed table reads and writes through the store", func(t *testing.T) {
		e := newEnv(t, open)
		people := storage.NewTable(e.store, personCodec)
		p, err := people.Create(e.ctx, person{First: "Ada", Last: "Lovelace", City: "London"})
		require.NoError(t, err)
		require.Equal(t, "Ada Lovelace", p.Full, "computed on create")
		require.EqualValues(t, 1, p.Version)
		p.First = "Augusta Ada"
		p, err = people.Update(e.ctx, p)
		require.NoError(t, err)
		require.Equal(t, "Augusta Ada Lovelace", p.Full, "computed again on update")
		require.EqualValues(t, 2, p.Version)
		got, err := people.Get(e.ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, p, got)
		page, err := people.Query(e.ctx, crm.Query{Where: crm.Eq("city", "london")})
		require.NoError(t, err)
		require.Equal(t, []person{p}, page.Records)
		n, err := people.Count(e.ctx, crm.Query{})
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		require.NoError(t, people.Delete(e.ctx, p.ID, p.Version))
		_, err = people.Get(e.ctx, p.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
	})

	t.Run("a canceled context is refused", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(account, crm.Fields{"name": "Here"})
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		_, err := e.store.Create(ctx, crm.Record{Entity: account, Fields: crm.Fields{"name": "Never"}})
		require.ErrorIs(t, err, context.Canceled)
		_, err = e.store.Get(ctx, account, rec.ID)
		require.ErrorIs(t, err, context.Canceled)
		_, err = e.store.Query(ctx, crm.Query{Entity: account})
		require.ErrorIs(t, err, context.Canceled)
		require.EqualValues(t, 1, e.count(account))
	})
}

// person is a typed contact, for the Table test.
type person struct {
	crm.Header
	First, Last, Full, City string
}

var personCodec = storage.Codec[person]{
	Entity: contact,
	Encode: func(p person) crm.Record {
		f := crm.Fields{"firstname": nilIfEmpty(p.First), "lastname": p.Last, "city": nilIfEmpty(p.City)}
		return crm.Record{Entity: contact, Header: p.Header, Fields: f}
	},
	Decode: func(r crm.Record) (person, error) {
		if r.Entity != contact {
			return person{}, errors.New("not a contact")
		}
		return person{Header: r.Header, First: r.Fields.String("firstname"), Last: r.Fields.String("lastname"),
			Full: r.Fields.String("fullname"), City: r.Fields.String("city")}, nil
	},
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
