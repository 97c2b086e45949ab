package memory_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
	"github.com/crmkit/crmkit/storage/storagetest"
	"github.com/google/uuid"
)

// The benchmarks run each operation twice: on the memory store (the whole
// generic layer: metadata, validation, hooks, plans) and on a baseline, a
// map of plain structs behind a sync.RWMutex with a hand-written filter and
// sort, so that the cost of the generic layer is visible side by side. The
// baseline always scans; the memory store answers BenchmarkQuery's city
// condition from its text index, and BenchmarkQueryScan shows its scan.

const benchContacts = 100_000

// benchRow is one generated contact.
type benchRow struct {
	first, last, city string
}

// benchRows generates the same contacts on every run: 50 cities, last names
// spread over 26 initials, first names with repeats.
func benchRows(n int) []benchRow {
	r := rand.New(rand.NewPCG(1, 2))
	syllables := []string{"son", "man", "ley", "ton", "er", "ford", "well", "by", "den", "ick"}
	rows := make([]benchRow, n)
	for i := range rows {
		last := string(rune('A'+r.IntN(26))) + syllables[r.IntN(len(syllables))] + syllables[r.IntN(len(syllables))]
		rows[i] = benchRow{
			first: fmt.Sprintf("First%03d", r.IntN(300)),
			last:  last,
			city:  fmt.Sprintf("City%02d", r.IntN(50)),
		}
	}
	return rows
}

// The benchmarked query: contacts in one city whose last name begins with
// B, by last name then first name, 50 a page.
var benchQuery = crm.Query{
	Entity:  "contact",
	Where:   crm.And(crm.Eq("city", "City07"), crm.BeginsWith("lastname", "B")),
	OrderBy: []crm.Order{crm.Asc("lastname"), crm.Asc("firstname")},
	Limit:   50,
}

// loadedStore returns a memory store holding benchContacts contacts and
// their IDs.
func loadedStore(b *testing.B) (*storage.Store, []crm.ID) {
	b.Helper()
	store := memory.Open(storagetest.Schema())
	rows := benchRows(benchContacts)
	ids := make([]crm.ID, 0, len(rows))
	const batch = 5000
	for start := 0; start < len(rows); start += batch {
		recs := make([]crm.Record, 0, batch)
		for _, r := range rows[start:min(start+batch, len(rows))] {
			recs = append(recs, crm.Record{Entity: "contact", Fields: crm.Fields{"firstname": r.first, "lastname": r.last, "city": r.city}})
		}
		out, err := store.CreateMany(crm.AsSystem(context.Background()), recs)
		if err != nil {
			b.Fatal(err)
		}
		for _, rec := range out {
			ids = append(ids, rec.ID)
		}
	}
	return store, ids
}

// baseline is the hand-written comparison: plain structs in a map.
type baseline struct {
	mu   sync.RWMutex
	rows map[uuid.UUID]baseContact
}

type baseContact struct {
	ID                uuid.UUID
	Version           int64
	First, Last, City string
}

func loadedBaseline() (*baseline, []uuid.UUID) {
	bl := &baseline{rows: make(map[uuid.UUID]baseContact, benchContacts)}
	var ids []uuid.UUID
	for _, r := range benchRows(benchContacts) {
		c := baseContact{ID: crm.NewID(), Version: 1, First: r.first, Last: r.last, City: r.city}
		bl.rows[c.ID] = c
		ids = append(ids, c.ID)
	}
	return bl, ids
}

func (bl *baseline) create(c baseContact) {
	bl.mu.Lock()
	defer bl.mu.Unlock()
	bl.rows[c.ID] = c
}

func (bl *baseline) get(id uuid.UUID) (baseContact, bool) {
	bl.mu.RLock()
	defer bl.mu.RUnlock()
	c, ok := bl.rows[id]
	return c, ok
}

func (bl *baseline) updateCity(id uuid.UUID, city string) bool {
	bl.mu.Lock()
	defer bl.mu.Unlock()
	c, ok := bl.rows[id]
	if !ok {
		return false
	}
	c.City, c.Version = city, c.Version+1
	bl.rows[id] = c
	return true
}

func baseLess(a, b baseContact) int {
	if c := cmp.Compare(strings.ToLower(a.Last), strings.ToLower(b.Last)); c != 0 {
		return c
	}
	if c := cmp.Compare(strings.ToLower(a.First), strings.ToLower(b.First)); c != 0 {
		return c
	}
	return slices.Compare(a.ID[:], b.ID[:])
}

// query returns up to limit contacts of city whose last name begins with
// prefix, sorted, after the given row (nil: from the start).
func (bl *baseline) query(city, prefix string, after *baseContact, limit int) []baseContact {
	bl.mu.RLock()
	var out []baseContact
	for _, c := range bl.rows {
		if strings.EqualFold(c.City, city) && len(c.Last) >= len(prefix) && strings.EqualFold(c.Last[:len(prefix)], prefix) &&
			(after == nil || baseLess(c, *after) > 0) {
			out = append(out, c)
		}
	}
	bl.mu.RUnlock()
	slices.SortFunc(out, baseLess)
	return out[:min(limit, len(out))]
}

func BenchmarkCreate(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		store, _ := loadedStore(b)
		ctx := crm.AsSystem(context.Background())
		b.ReportAllocs()
		for b.Loop() {
			_, err := store.Create(ctx, crm.Record{Entity: "contact", Fields: crm.Fields{"firstname": "Ada", "lastname": "Lovelace", "city": "London"}})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline", func(b *testing.B) {
		bl, _ := loadedBaseline()
		b.ReportAllocs()
		for b.Loop() {
			bl.create(baseContact{ID: crm.NewID(), Version: 1, First: "Ada", Last: "Lovelace", City: "London"})
		}
	})
}

func BenchmarkGet(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		store, ids := loadedStore(b)
		ctx := crm.AsSystem(context.Background())
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := store.Get(ctx, "contact", ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("baseline", func(b *testing.B) {
		bl, ids := loadedBaseline()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, ok := bl.get(ids[i%len(ids)]); !ok {
				b.Fatal("missing")
			}
			i++
		}
	})
}

func BenchmarkUpdate(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		store, ids := loadedStore(b)
		ctx := crm.AsSystem(context.Background())
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			rec := crm.Record{Entity: "contact", Header: crm.Header{ID: ids[i%len(ids)]}, Fields: crm.Fields{"city": "Oslo"}}
			if _, err := store.Update(ctx, rec); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("baseline", func(b *testing.B) {
		bl, ids := loadedBaseline()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if !bl.updateCity(ids[i%len(ids)], "Oslo") {
				b.Fatal("missing")
			}
			i++
		}
	})
}

func BenchmarkQuery(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		store, _ := loadedStore(b)
		ctx := crm.AsSystem(context.Background())
		b.ReportAllocs()
		for b.Loop() {
			page, err := store.Query(ctx, benchQuery)
			if err != nil || len(page.Records) != 50 || !page.More {
				b.Fatal(err, len(page.Records))
			}
		}
	})
	b.Run("baseline", func(b *testing.B) {
		bl, _ := loadedBaseline()
		b.ReportAllocs()
		for b.Loop() {
			if rows := bl.query("City07", "B", nil, 50); len(rows) != 50 {
				b.Fatal(len(rows))
			}
		}
	})
}

func BenchmarkQueryNextPage(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		store, _ := loadedStore(b)
		ctx := crm.AsSystem(context.Background())
		first, err := store.Query(ctx, benchQuery)
		if err != nil || !first.More {
			b.Fatal(err)
		}
		q := benchQuery
		q.After = first.Next
		b.ReportAllocs()
		for b.Loop() {
			page, err := store.Query(ctx, q)
			if err != nil || len(page.Records) == 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline", func(b *testing.B) {
		bl, _ := loadedBaseline()
		first := bl.query("City07", "B", nil, 50)
		last := first[len(first)-1]
		b.ReportAllocs()
		for b.Loop() {
			if rows := bl.query("City07", "B", &last, 50); len(rows) == 0 {
				b.Fatal("empty")
			}
		}
	})
}

// BenchmarkQueryScan is BenchmarkQuery without an equality condition, so
// the memory store scans every record as the baseline does.
func BenchmarkQueryScan(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		store, _ := loadedStore(b)
		ctx := crm.AsSystem(context.Background())
		q := benchQuery
		q.Where = crm.And(crm.BeginsWith("city", "City07"), crm.BeginsWith("lastname", "B"))
		b.ReportAllocs()
		for b.Loop() {
			page, err := store.Query(ctx, q)
			if err != nil || len(page.Records) != 50 || !page.More {
				b.Fatal(err, len(page.Records))
			}
		}
	})
	b.Run("baseline", func(b *testing.B) {
		bl, _ := loadedBaseline()
		b.ReportAllocs()
		for b.Loop() {
			if rows := bl.query("City07", "B", nil, 50); len(rows) != 50 {
				b.Fatal(len(rows))
			}
		}
	})
}
