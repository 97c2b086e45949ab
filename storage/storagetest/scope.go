package storagetest

import (
	"context"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, whatever the host has

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// testScope pins crm.Scope on every store: a write names its caller, the
// record header keeps the creating scope's business unit, and relative
// date conditions follow the caller's time zone.
func testScope(t *testing.T, open Opener) {
	zone := func(name string) *time.Location {
		t.Helper()
		loc, err := time.LoadLocation(name)
		require.NoError(t, err)
		return loc
	}
	auckland, la := zone("Pacific/Auckland"), zone("America/Los_Angeles")
	engineering := testID(900_010) // a business unit

	t.Run("a write naming no caller is refused, and writes nothing", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(account, crm.Fields{"name": "Kept"})
		none := t.Context()
		_, err := e.store.Create(none, crm.Record{Entity: account, Fields: crm.Fields{"name": "Nobody's"}})
		require.ErrorIs(t, err, crm.ErrNoCaller)
		require.ErrorIs(t, err, crm.ErrPermissionDenied)
		_, err = e.store.Update(none, crm.Record{Entity: account, Header: crm.Header{ID: rec.ID}, Fields: crm.Fields{"city": "Rome"}})
		require.ErrorIs(t, err, crm.ErrNoCaller)
		_, err = e.store.Assign(none, rec.Ref(), 0, sales)
		require.ErrorIs(t, err, crm.ErrNoCaller)
		require.ErrorIs(t, e.store.Delete(none, rec.Ref(), 0), crm.ErrNoCaller)
		require.ErrorIs(t, e.store.Delete(crm.WithScope(none, crm.Scope{BusinessUnit: engineering}), rec.Ref(), 0), crm.ErrNoCaller,
			"a scope without a caller names no one")
		require.Equal(t, rec, e.get(account, rec.ID))
		require.EqualValues(t, 1, e.count(account))
		_, err = e.store.Get(none, account, rec.ID)
		require.NoError(t, err, "reads need no caller until access checks arrive")
	})

	t.Run("no hook or operation sees a write naming no caller", func(t *testing.T) {
		e := newEnv(t, open)
		ran := 0
		hook := func(context.Context, *storage.Event) error { ran++; return nil }
		for _, stage := range []storage.Stage{storage.PreValidation, storage.PreOperation} {
			require.NoError(t, e.store.Hook(account, storage.OpCreate, stage, hook))
		}
		require.NoError(t, e.store.HookMessage("scope.test", storage.PreValidation, func(context.Context, *storage.Execution) error { ran++; return nil }))
		_, err := e.store.Create(t.Context(), crm.Record{Entity: account, Fields: crm.Fields{"name": "Nobody's"}})
		require.ErrorIs(t, err, crm.ErrNoCaller)
		err = e.store.Execute(t.Context(), "scope.test", nil, func(context.Context, *storage.Execution) error { ran++; return nil })
		require.ErrorIs(t, err, crm.ErrNoCaller)
		require.Zero(t, ran)
		require.Zero(t, e.count(account))
	})

	t.Run("the system user is a named caller, never no owner", func(t *testing.T) {
		e := newEnv(t, open)
		rec := e.create(account, crm.Fields{"name": "System"})
		got := e.get(account, rec.ID)
		require.Equal(t, crm.SystemUser, got.Owner)
		require.Equal(t, crm.SystemUserID, got.CreatedBy)
		require.NotEqual(t, crm.NilID, got.Owner.ID)
		require.Len(t, e.all(crm.Query{Entity: account, Where: crm.Eq(crm.FieldOwner, crm.SystemUser)}), 1)
	})

	t.Run("the owning business unit comes from the creating scope and round-trips", func(t *testing.T) {
		e := newEnv(t, open)
		ctx := crm.WithScope(e.ctx, crm.Scope{Caller: alice, BusinessUnit: engineering})
		rec, err := e.store.Create(ctx, crm.Record{Entity: account, Header: crm.Header{BusinessUnit: testID(1)}, Fields: crm.Fields{"name": "Engineering's"}})
		require.NoError(t, err)
		require.Equal(t, engineering, rec.BusinessUnit, "the header field is the store's, not the caller's")
		require.Equal(t, rec, e.get(account, rec.ID))
		none := e.create(account, crm.Fields{"name": "No unit"})
		require.Equal(t, crm.NilID, e.get(account, none.ID).BusinessUnit)
		require.Nil(t, e.get(account, none.ID).Value(crm.FieldBusinessUnit))

		_, err = e.store.Update(crm.WithCaller(e.ctx, bob), crm.Record{Entity: account, Header: crm.Header{ID: rec.ID}, Fields: crm.Fields{"city": "Rome"}})
		require.NoError(t, err)
		out, err := e.store.Assign(crm.WithCaller(e.ctx, bob), rec.Ref(), 0, sales)
		require.NoError(t, err)
		require.Equal(t, engineering, out.BusinessUnit, "update and assign keep the owning business unit")
		require.Equal(t, out, e.get(account, rec.ID))

		unit := crm.Ref{Entity: crm.BusinessUnitEntity, ID: engineering}
		require.Equal(t, unit, out.Value(crm.FieldBusinessUnit))
		names := func(f crm.Filter) []string {
			var out []string
			for _, r := range e.all(crm.Query{Entity: account, Where: f, OrderBy: []crm.Order{crm.Asc("name")}}) {
				out = append(out, r.Fields.String("name"))
			}
			return out
		}
		require.Equal(t, []string{"Engineering's"}, names(crm.Eq(crm.FieldBusinessUnit, unit)))
		require.Equal(t, []string{"Engineering's"}, names(crm.Eq(crm.FieldBusinessUnit, engineering)))
		require.Equal(t, []string{"No unit"}, names(crm.IsNull(crm.FieldBusinessUnit)))
	})

	// The clock reads 2026-03-31 20:00 UTC: already 1 April 09:00 in
	// Auckland (NZDT, +13), still 31 March 13:00 in Los Angeles (PDT, -7).
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	clock := at(31, 20)
	seed := func(e *env) {
		e.t.Helper()
		for _, r := range []struct {
			name    string
			contact time.Time
			founded time.Time
		}{
			{"feb in LA", at(1, 5), time.Time{}},                                                                // LA 28 Feb 21:00; Auckland 1 Mar 18:00
			{"mid march", at(15, 12), time.Time{}},                                                              // March everywhere
			{"30 march", at(30, 10), time.Time{}},                                                               // LA 30 Mar 03:00; Auckland 30 Mar 23:00
			{"31 march", at(31, 10), time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)},                              // LA 31 Mar 03:00; Auckland 31 Mar 23:00
			{"april in Auckland", at(31, 12), time.Time{}},                                                      // LA 31 Mar 05:00; Auckland 1 Apr 01:00
			{"april", time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}, // LA 1 Apr 01:00; Auckland 1 Apr 21:00
		} {
			f := crm.Fields{"name": r.name, "lastcontactedon": r.contact}
			if !r.founded.IsZero() {
				f["foundedon"] = r.founded
			}
			e.create(account, f)
		}
		e.clock.Set(clock)
	}
	names := func(e *env, ctx context.Context, where crm.Filter) []string {
		e.t.Helper()
		var out []string
		for r, err := range e.store.Iterate(ctx, crm.Query{Entity: account, Where: where, OrderBy: []crm.Order{crm.Asc("lastcontactedon")}}) {
			require.NoError(e.t, err)
			out = append(out, r.Fields.String("name"))
		}
		page, err := e.store.Query(ctx, crm.Query{Entity: account, Where: where, OrderBy: []crm.Order{crm.Asc("lastcontactedon")}})
		require.NoError(e.t, err)
		require.Len(e.t, page.Records, len(out), "query and iterate agree")
		n, err := e.store.Count(ctx, crm.Query{Entity: account, Where: where})
		require.NoError(e.t, err)
		require.EqualValues(e.t, len(out), n, "count agrees")
		rows, err := e.store.Aggregate(ctx, crm.Aggregation{Entity: account, Where: where, Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}})
		require.NoError(e.t, err)
		require.Len(e.t, rows, 1)
		require.EqualValues(e.t, len(out), rows[0]["n"], "aggregate agrees")
		return out
	}
	in := func(e *env, loc *time.Location) context.Context {
		return crm.WithScope(e.ctx, crm.Scope{Caller: alice, Location: loc})
	}
	tests := []struct {
		name     string
		where    crm.Filter
		auckland []string
		la       []string
		utc      []string
	}{
		{"this month", crm.Where("lastcontactedon", crm.OpThisMonth),
			[]string{"april in Auckland", "april"},
			[]string{"mid march", "30 march", "31 march", "april in Auckland"},
			[]string{"feb in LA", "mid march", "30 march", "31 march", "april in Auckland"}},
		{"last month", crm.Where("lastcontactedon", crm.OpLastMonth),
			[]string{"feb in LA", "mid march", "30 march", "31 march"},
			[]string{"feb in LA"},
			nil},
		{"today", crm.Where("lastcontactedon", crm.OpToday),
			[]string{"april in Auckland", "april"},
			[]string{"31 march", "april in Auckland"},
			[]string{"31 march", "april in Auckland"}},
		{"last x days", crm.Where("lastcontactedon", crm.OpLastXDays, 1),
			[]string{"31 march", "april in Auckland", "april"},
			[]string{"30 march", "31 march", "april in Auckland"},
			[]string{"30 march", "31 march", "april in Auckland"}},
		{"today on a date-only field", crm.Where("foundedon", crm.OpToday),
			[]string{"april"},
			[]string{"31 march"},
			[]string{"31 march"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" follows the caller's time zone", func(t *testing.T) {
			e := newEnv(t, open)
			seed(e)
			require.Equal(t, tt.auckland, names(e, in(e, auckland), tt.where), "Pacific/Auckland")
			require.Equal(t, tt.la, names(e, in(e, la), tt.where), "America/Los_Angeles")
			require.Equal(t, tt.utc, names(e, in(e, nil), tt.where), "UTC")
			require.Equal(t, tt.utc, names(e, e.ctx, tt.where), "a scope naming no zone reads in UTC")
		})
	}

	t.Run("aggregate date groups stay in UTC whatever the caller's zone", func(t *testing.T) {
		e := newEnv(t, open)
		seed(e)
		byMonth := crm.Aggregation{Entity: account, GroupBy: []crm.GroupBy{{Alias: "month", Field: "lastcontactedon", Date: crm.ByMonth}},
			Measures: []crm.Measure{{Alias: "n", Func: crm.AggCount}}}
		want := []crm.AggregateRow{
			{"month": time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "n": int64(5)},
			{"month": time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "n": int64(1)},
		}
		for _, loc := range []*time.Location{auckland, la, nil} {
			rows, err := e.store.Aggregate(in(e, loc), byMonth)
			require.NoError(t, err)
			require.Equal(t, want, rows, "%v", loc)
		}
		// Its condition does follow the zone: April in Auckland.
		byMonth.Where = crm.Where("lastcontactedon", crm.OpThisMonth)
		rows, err := e.store.Aggregate(in(e, auckland), byMonth)
		require.NoError(t, err)
		require.Equal(t, []crm.AggregateRow{
			{"month": time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "n": int64(1)},
			{"month": time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "n": int64(1)},
		}, rows)
	})

	t.Run("a scope's now moves relative dates, not write timestamps", func(t *testing.T) {
		e := newEnv(t, open)
		seed(e)
		e.clock.Set(at(15, 12))
		asOf := crm.WithScope(e.ctx, crm.Scope{Caller: alice, Location: la, Now: clock})
		require.Equal(t, []string{"31 march", "april in Auckland"}, names(e, asOf, crm.Where("lastcontactedon", crm.OpToday)))
		rec, err := e.store.Create(asOf, crm.Record{Entity: account, Fields: crm.Fields{"name": "stamped"}})
		require.NoError(t, err)
		require.Equal(t, at(15, 12), rec.CreatedOn, "the store's clock stamps writes")
	})
}
