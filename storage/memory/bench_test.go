package memory_test

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/memory"
	"github.com/crmkit/crmkit/storage/storagetest"
	"github.com/google/uuid"
)

// The benchmarks run each operation twice: on the memory store (the whole
// generic layer: metadata, validation, hooks, plans) and on a baseline, a
// map of plain structs behind a sync.RWMutex with a hand-written filter and
// sort, so that the cost of the generic layer is visible side by side. The
// baseline always scans; the memory store answers BenchmarkQuery's city
// condition from its index on the city, and BenchmarkQueryScan, which has
// no condition an index answers, by reading its index on the last name in
// order until the page is full.

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

// BenchmarkQueryScan is BenchmarkQuery without an equality condition:
// nothing narrows what the memory store reads but the order, so it walks
// its last-name index until the page is full (before ordered indexes, it
// scanned every record as the baseline does).
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

// Paging: every contact, 50 a page by cursor, in ID order (no order
// given, as a caller that lists everything does) and by last then first
// name. One op of PageAll is the whole walk of 2,000 pages; PageAt is one
// page at the start of the order and one at its end, which cost the same
// when a page costs what it reads.
//
// The baselines: PageAt's pages its map as the other baselines query it,
// scanning every row for those after the cursor and keeping the 50
// smallest, so that a page costs the table. A walk of 2,000 such pages
// takes minutes, so PageAll's baseline is what hand-written code that
// pages everything would keep instead: the structs in a slice sorted
// once, each page found by binary search.

const pageSize = 50

var byName = []crm.Order{crm.Asc("lastname"), crm.Asc("firstname")}

// pageAll reads every page of q and returns how many records it read.
func pageAll(b *testing.B, store *storage.Store, q crm.Query) int {
	ctx := crm.AsSystem(context.Background())
	q.Limit = pageSize
	n := 0
	for {
		page, err := store.Query(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		n += len(page.Records)
		if !page.More {
			return n
		}
		q.After = page.Next
	}
}

// foldCmp compares a and b ignoring ASCII case, as the store orders text,
// without allocating.
func foldCmp(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return cmp.Compare(x, y)
		}
	}
	return cmp.Compare(len(a), len(b))
}

func baseByID(a, b baseContact) int { return slices.Compare(a.ID[:], b.ID[:]) }

func baseByName(a, b baseContact) int {
	if c := foldCmp(a.Last, b.Last); c != 0 {
		return c
	}
	if c := foldCmp(a.First, b.First); c != 0 {
		return c
	}
	return baseByID(a, b)
}

// page returns the limit smallest rows after the given one (nil: from the
// start), keeping only limit candidates as it scans.
func (bl *baseline) page(less func(a, b baseContact) int, after *baseContact, limit int) []baseContact {
	out := make([]baseContact, 0, limit+1)
	bl.mu.RLock()
	for _, c := range bl.rows {
		if after != nil && less(c, *after) <= 0 || len(out) == limit && less(c, out[limit-1]) >= 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(out, c, less)
		out = slices.Insert(out, i, c)
		if len(out) > limit {
			out = out[:limit]
		}
	}
	bl.mu.RUnlock()
	return out
}

// sorted returns the rows in a slice sorted by less.
func (bl *baseline) sorted(less func(a, b baseContact) int) []baseContact {
	bl.mu.RLock()
	defer bl.mu.RUnlock()
	return slices.SortedFunc(maps.Values(bl.rows), less)
}

// pageAllSorted reads every page of rows, sorted by less, and returns how
// many rows it read.
func pageAllSorted(rows []baseContact, less func(a, b baseContact) int) int {
	n := 0
	var after *baseContact
	for {
		i := 0
		if after != nil {
			i, _ = slices.BinarySearchFunc(rows, *after, less)
			i++
		}
		page := slices.Clone(rows[i:min(i+pageSize, len(rows))])
		n += len(page)
		if len(page) < pageSize {
			return n
		}
		after = &page[len(page)-1]
	}
}

func BenchmarkPageAll(b *testing.B) {
	benchPageAll(b, nil, baseByID)
}

func BenchmarkPageAllByName(b *testing.B) {
	benchPageAll(b, byName, baseByName)
}

func benchPageAll(b *testing.B, order []crm.Order, less func(a, b baseContact) int) {
	b.Run("memory", func(b *testing.B) {
		store, _ := loadedStore(b)
		q := crm.Query{Entity: "contact", OrderBy: order}
		if _, err := store.Query(crm.AsSystem(context.Background()), q); err != nil {
			b.Fatal(err) // a first query builds what the store keeps for the order
		}
		b.ReportAllocs()
		for b.Loop() {
			if n := pageAll(b, store, q); n != benchContacts {
				b.Fatal(n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(benchContacts/pageSize), "ns/page")
	})
	b.Run("baseline", func(b *testing.B) {
		bl, _ := loadedBaseline()
		rows := bl.sorted(less)
		b.ReportAllocs()
		for b.Loop() {
			if n := pageAllSorted(rows, less); n != benchContacts {
				b.Fatal(n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(benchContacts/pageSize), "ns/page")
	})
}

// BenchmarkPageAt reads one page by last then first name: the second
// page (start) and the last full one (end).
func BenchmarkPageAt(b *testing.B) {
	for _, at := range []string{"start", "end"} {
		b.Run(at+"/memory", func(b *testing.B) {
			store, _ := loadedStore(b)
			ctx := crm.AsSystem(context.Background())
			q := crm.Query{Entity: "contact", OrderBy: byName}
			var all []crm.Record
			for rec, err := range store.Iterate(ctx, q) {
				if err != nil {
					b.Fatal(err)
				}
				all = append(all, rec)
			}
			p, err := driver.PlanQuery(store.Registry(), q, time.Now(), nil, driver.Principal{})
			if err != nil {
				b.Fatal(err)
			}
			i := pageSize - 1
			if at == "end" {
				i = len(all) - pageSize - 1
			}
			q.After, q.Limit = p.Cursor(all[i]), pageSize
			b.ReportAllocs()
			for b.Loop() {
				page, err := store.Query(ctx, q)
				if err != nil || len(page.Records) != pageSize || page.Records[0].ID != all[i+1].ID {
					b.Fatal(err)
				}
			}
		})
		b.Run(at+"/baseline", func(b *testing.B) {
			bl, _ := loadedBaseline()
			all := bl.sorted(baseByName)
			i := pageSize - 1
			if at == "end" {
				i = len(all) - pageSize - 1
			}
			b.ReportAllocs()
			for b.Loop() {
				if rows := bl.page(baseByName, &all[i], pageSize); len(rows) != pageSize || rows[0].ID != all[i+1].ID {
					b.Fatal(len(rows))
				}
			}
		})
	}
}
