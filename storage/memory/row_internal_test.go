package memory

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// rowEntity returns an entity of n declared fields whose types cycle
// through text, integer, decimal, bool, time, choice and lookup.
func rowEntity(t *testing.T, n int) *crm.Entity {
	t.Helper()
	e := &crm.Entity{Name: "wide", PrimaryName: "f0"}
	for i := range n {
		f := crm.Field{Name: fmt.Sprintf("f%d", i)}
		switch i % 7 {
		case 0:
			f.Type, f.MaxLength = crm.TypeText, 100
		case 1:
			f.Type = crm.TypeInteger
		case 2:
			f.Type = crm.TypeDecimal
		case 3:
			f.Type = crm.TypeBool
		case 4:
			f.Type = crm.TypeTime
		case 5:
			f.Type, f.Options = crm.TypeChoice, []crm.Option{{Value: 1, Label: "one"}, {Value: 2, Label: "two"}}
		case 6:
			f.Type, f.Targets = crm.TypeLookup, []string{"wide"}
		}
		e.Fields = append(e.Fields, f)
	}
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(e))
	got, err := reg.Entity("wide")
	require.NoError(t, err)
	return got
}

// rowValue returns a value for field i of rowEntity, distinct per seed.
func rowValue(i, seed int) any {
	switch i % 7 {
	case 0:
		return fmt.Sprintf("text %d.%d", i, seed)
	case 1:
		return int64(i*1000 + seed)
	case 2:
		return decimal.New(int64(seed), -2)
	case 3:
		return seed%2 == 0
	case 4:
		return time.Date(2024, 1, 1+seed%28, 0, 0, 0, 0, time.UTC)
	case 5:
		return int32(1 + seed%2)
	}
	return crm.Ref{Entity: "wide", ID: crm.NewID()}
}

// TestRowsPackEveryField packs random records of sparse (up to 128
// fields) and dense (more) layouts and reads every field back: by Value,
// by Text for text, and as the record handed out.
func TestRowsPackEveryField(t *testing.T) {
	for _, n := range []int{1, 7, 64, 65, 128, 129, 300} {
		t.Run(fmt.Sprintf("fields=%d", n), func(t *testing.T) {
			e := rowEntity(t, n)
			l := newLayout(e)
			require.Equal(t, n > maxSparse, l.dense)
			rnd := rand.New(rand.NewPCG(uint64(n), 1))
			for seed := range 50 {
				rec := crm.Record{Entity: "wide", Header: crm.Header{ID: crm.NewID(), Version: int64(seed + 1)}, Fields: crm.Fields{}}
				for i := range n {
					if rnd.IntN(3) == 0 { // about a third of the fields null
						continue
					}
					rec.Fields[fmt.Sprintf("f%d", i)] = rowValue(i, seed)
				}
				r, err := l.pack(&rec)
				require.NoError(t, err)
				require.Equal(t, rec, r.record())
				require.Equal(t, rec.Ref(), r.Ref())
				require.Equal(t, rec.Version, r.Value(crm.FieldVersion))
				for i := range n {
					name := fmt.Sprintf("f%d", i)
					want, set := rec.Fields[name]
					require.Equal(t, want, r.Value(name), name)
					if i%7 == 0 {
						s, ok := r.Text(name)
						require.Equal(t, set, ok, name)
						if set {
							require.Equal(t, want, s, name)
						}
					}
				}
			}
		})
	}
}

// TestRowsOfAnOlderLayoutReadAddedFieldsAsNull: fields join an entity at
// the end, so a row packed before reads them as null.
func TestRowsOfAnOlderLayoutReadAddedFieldsAsNull(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(&crm.Entity{Name: "thing", PrimaryName: "name",
		Fields: []crm.Field{{Name: "name", Type: crm.TypeText, MaxLength: 50}}}))
	old, err := reg.Entity("thing")
	require.NoError(t, err)
	r, err := newLayout(old).pack(&crm.Record{Entity: "thing", Header: crm.Header{ID: crm.NewID()}, Fields: crm.Fields{"name": "a"}})
	require.NoError(t, err)
	require.NoError(t, reg.AddFields("thing", crm.Field{Name: "size", Type: crm.TypeInteger}, crm.Field{Name: "note", Type: crm.TypeText, MaxLength: 50}))
	grown, err := reg.Entity("thing")
	require.NoError(t, err)
	require.Nil(t, r.Value("size"))
	_, ok := r.Text("note")
	require.False(t, ok)
	require.Equal(t, "a", r.Value("name"))

	n, err := newLayout(grown).pack(&crm.Record{Entity: "thing", Fields: crm.Fields{"name": "b", "note": "c", "size": int64(3)}})
	require.NoError(t, err)
	require.Equal(t, crm.Fields{"name": "b", "note": "c", "size": int64(3)}, n.record().Fields)
}

// TestRowsKeepValuesOfTheWrongType: only a direct driver caller can store
// a text field's value that is not a string; the row keeps it as given.
func TestRowsKeepValuesOfTheWrongType(t *testing.T) {
	for _, n := range []int{8, 200} {
		e := rowEntity(t, n)
		rec := crm.Record{Entity: "wide", Fields: crm.Fields{"f0": 42, "f1": int64(1), "f7": "text"}}
		r, err := newLayout(e).pack(&rec)
		require.NoError(t, err)
		require.Equal(t, rec.Fields, r.record().Fields)
		require.Equal(t, 42, r.Value("f0"))
		_, ok := r.Text("f0")
		require.False(t, ok, "not a string")
		s, ok := r.Text("f7")
		require.True(t, ok)
		require.Equal(t, "text", s)
	}
}

func TestRowsRefuseFieldsTheEntityHasNot(t *testing.T) {
	e := rowEntity(t, 3)
	_, err := newLayout(e).pack(&crm.Record{Entity: "wide", Fields: crm.Fields{"nope": "x"}})
	require.ErrorContains(t, err, `wide has no field "nope"`)
}
