package storagetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// deleteRulesSchema adds "binder" and its "sheet"s (deleting a binder
// deletes its sheets), with a delete rule on sheets (crm.Rule.Deletes), as
// a document's lines go only through its operations or with it: a sheet
// goes inside the operation "TidyBinder" or with its binder, and a sheet
// marked kept never goes. seen records each delete the rule checked. A
// second rule, without Deletes, refuses every change of a title and must
// not run on deletes.
func deleteRulesSchema(seen *deleteLog) func(reg *crm.Registry) {
	return func(reg *crm.Registry) {
		err := reg.Register(
			&crm.Entity{Name: "binder", PrimaryName: "title", Fields: []crm.Field{
				{Name: "title", Type: crm.TypeText, MaxLength: 100, Required: true},
			}},
			&crm.Entity{Name: "sheet", PrimaryName: "title", Fields: []crm.Field{
				{Name: "title", Type: crm.TypeText, MaxLength: 100, Required: true},
				{Name: "kept", Type: crm.TypeBool},
				{Name: "binder", Type: crm.TypeLookup, Targets: []string{"binder"}, OnDelete: crm.DeleteCascade},
			}, Rules: []crm.Rule{
				{Name: "sheets go by TidyBinder or with their binder", Deletes: true,
					Check: func(_ context.Context, w crm.Write) error {
						if !w.Delete {
							return nil // creates and changes pass
						}
						seen.add(w)
						switch {
						case w.Target.Fields.Bool("kept"):
							return crm.Invalid("sheet", "kept", "a kept sheet is never deleted")
						case w.Cascade || w.In("TidyBinder"):
							return nil
						}
						return crm.Invalid("sheet", "binder", "a sheet goes by TidyBinder or with its binder")
					}},
				{Name: "titles do not change", Fields: []string{"title"},
					Check: func(_ context.Context, w crm.Write) error {
						if w.Before != nil {
							return errors.New("a title does not change")
						}
						return nil
					}},
			}},
		)
		if err != nil {
			panic("storagetest: delete rules schema: " + err.Error())
		}
	}
}

// deleteLog is what the delete rule saw.
type deleteLog struct {
	mu     sync.Mutex
	writes []crm.Write
}

func (l *deleteLog) add(w crm.Write) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes = append(l.writes, w)
}

func (l *deleteLog) last() crm.Write {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writes[len(l.writes)-1]
}

func testDeleteRules(t *testing.T, open Opener) {
	var seen deleteLog
	e := newEnvChanged(t, open, deleteRulesSchema(&seen))
	ctx := e.ctx
	binder := func(title string) crm.Record { return e.create("binder", crm.Fields{"title": title}) }
	sheet := func(b crm.Record, title string, kept bool) crm.Record {
		return e.create("sheet", crm.Fields{"title": title, "kept": kept, "binder": b.Ref()})
	}
	count := func(entity string) int64 {
		n, err := e.store.Count(ctx, crm.Query{Entity: entity})
		require.NoError(t, err)
		return n
	}

	t.Run("RefusedThroughThePlainDelete", func(t *testing.T) {
		b := binder("Q1")
		s := sheet(b, "Budget", false)
		err := e.store.Delete(ctx, s.Ref(), s.Version)
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.True(t, verr.Has("binder"), "%v", err)
		require.Equal(t, s, e.get("sheet", s.ID), "nothing changed")
		w := seen.last()
		require.True(t, w.Delete)
		require.False(t, w.Cascade)
		require.Equal(t, "Budget", w.Target.Fields.String("title"), "the rule sees the record as stored")
		require.Equal(t, w.Target, w.Before)
		// Also at any version, and from another operation.
		require.ErrorIs(t, e.store.Delete(ctx, s.Ref(), storage.AnyVersion), crm.ErrValidation)
		err = e.store.Execute(ctx, "Other", nil, func(ctx context.Context, _ *storage.Execution) error {
			return e.store.Delete(ctx, s.Ref(), s.Version)
		})
		require.ErrorIs(t, err, crm.ErrValidation)
		require.Equal(t, s, e.get("sheet", s.ID))
	})

	t.Run("AllowedInsideItsOperation", func(t *testing.T) {
		b := binder("Q2")
		s := sheet(b, "Forecast", false)
		err := e.store.Execute(ctx, "TidyBinder", nil, func(ctx context.Context, _ *storage.Execution) error {
			return e.store.Delete(ctx, s.Ref(), s.Version)
		})
		require.NoError(t, err)
		_, err = e.store.Get(ctx, "sheet", s.ID)
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.Equal(t, []string{"TidyBinder"}, seen.last().Operations)
	})

	t.Run("AllowedByCascade", func(t *testing.T) {
		b := binder("Q3")
		s1, s2 := sheet(b, "One", false), sheet(b, "Two", false)
		before := count("sheet")
		require.NoError(t, e.store.Delete(ctx, b.Ref(), b.Version))
		require.Equal(t, before-2, count("sheet"))
		for _, s := range []crm.Record{s1, s2} {
			_, err := e.store.Get(ctx, "sheet", s.ID)
			require.ErrorIs(t, err, crm.ErrNotFound)
		}
		require.True(t, seen.last().Cascade)
	})

	t.Run("ACascadeRefusedRollsBackTheWhole", func(t *testing.T) {
		b := binder("Q4")
		loose, kept := sheet(b, "Loose", false), sheet(b, "Kept", true)
		binders, sheets := count("binder"), count("sheet")
		err := e.store.Delete(ctx, b.Ref(), b.Version)
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.True(t, verr.Has("kept"), "%v", err)
		require.Equal(t, binders, count("binder"))
		require.Equal(t, sheets, count("sheet"))
		require.Equal(t, loose, e.get("sheet", loose.ID))
		require.Equal(t, kept, e.get("sheet", kept.ID))
	})

	t.Run("OtherRulesDoNotRunOnDeletes", func(t *testing.T) {
		b := binder("Q5")
		s := sheet(b, "Minutes", false)
		_, err := e.store.Update(ctx, crm.Record{Entity: "sheet", Header: crm.Header{ID: s.ID, Version: s.Version},
			Fields: crm.Fields{"title": "Renamed"}})
		require.Error(t, err, "the title rule runs on changes")
		err = e.store.Execute(ctx, "TidyBinder", nil, func(ctx context.Context, _ *storage.Execution) error {
			return e.store.Delete(ctx, s.Ref(), s.Version)
		})
		require.NoError(t, err, "and not on deletes")
	})
}
