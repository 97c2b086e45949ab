package memory_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
	"github.com/crmkit/crmkit/storage/storagetest"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// The memory store at scale (issue 12), beside the same baseline as
// bench_test.go, a map of structs: Delete at two table sizes, to show what
// a delete costs does not grow with the table; Count with and without a
// condition an index answers; and the heap a record of a 26-column
// contact-like entity takes, against the same record as a Go struct.

// contactStore returns a memory store holding n of the benchmark contacts
// and their IDs.
func contactStore(b *testing.B, n int) (*storage.Store, []crm.ID) {
	b.Helper()
	store := memory.Open(storagetest.Schema())
	rows := benchRows(n)
	ids := make([]crm.ID, 0, n)
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

// contactBaseline is loadedBaseline with n rows.
func contactBaseline(n int) (*baseline, []uuid.UUID) {
	bl := &baseline{rows: make(map[uuid.UUID]baseContact, n)}
	ids := make([]uuid.UUID, 0, n)
	for _, r := range benchRows(n) {
		c := baseContact{ID: crm.NewID(), Version: 1, First: r.first, Last: r.last, City: r.city}
		bl.rows[c.ID] = c
		ids = append(ids, c.ID)
	}
	return bl, ids
}

// remove deletes the row id at version, as the store's Delete does.
func (bl *baseline) remove(id uuid.UUID, version int64) bool {
	bl.mu.Lock()
	defer bl.mu.Unlock()
	c, ok := bl.rows[id]
	if !ok || c.Version != version {
		return false
	}
	delete(bl.rows, id)
	return true
}

// count returns how many rows are in city (all of them if city is "").
func (bl *baseline) count(city string) int {
	bl.mu.RLock()
	defer bl.mu.RUnlock()
	if city == "" {
		return len(bl.rows)
	}
	n := 0
	for _, c := range bl.rows {
		if strings.EqualFold(c.City, city) {
			n++
		}
	}
	return n
}

// BenchmarkDelete deletes contacts one at a time, each its own
// transaction with the version checked, from tables of 10,000 and
// 100,000. Deleting a contact asks every relationship that points at
// contacts (accounts' primary contact, contacts' parent customer, tasks'
// regarding, orders' contact, which restricts) for the records that refer
// to it. When the table runs out, it is loaded again with the timer
// stopped, and one contact deleted: what the first delete of a table
// builds once (its ordered table by ID, the lookup indexes) is not a
// delete's cost.
func BenchmarkDelete(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d/impl=memory", n), func(b *testing.B) {
			ctx := crm.AsSystem(context.Background())
			load := func() (*storage.Store, []crm.ID) {
				store, ids := contactStore(b, n+1)
				if err := store.Delete(ctx, crm.Ref{Entity: "contact", ID: ids[n]}, 1); err != nil {
					b.Fatal(err)
				}
				return store, ids[:n]
			}
			store, ids := load()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i == len(ids) {
					b.StopTimer()
					store, ids = load()
					i = 0
					b.StartTimer()
				}
				if err := store.Delete(ctx, crm.Ref{Entity: "contact", ID: ids[i]}, 1); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("n=%d/impl=baseline", n), func(b *testing.B) {
			bl, ids := contactBaseline(n)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i == len(ids) {
					b.StopTimer()
					bl, ids = contactBaseline(n)
					i = 0
					b.StartTimer()
				}
				if !bl.remove(ids[i], 1) {
					b.Fatal("missing")
				}
				i++
			}
		})
	}
}

// BenchmarkCount counts 100,000 contacts: all of them, and those of one
// city (about 2,000), a condition the store's index on the city answers.
// The baseline counts its map, or scans it.
func BenchmarkCount(b *testing.B) {
	cases := []struct {
		name, city string
		where      crm.Filter
	}{
		{"all", "", nil},
		{"city", "City07", crm.Eq("city", "City07")},
	}
	for _, c := range cases {
		b.Run(c.name+"/impl=memory", func(b *testing.B) {
			store, _ := contactStore(b, benchContacts)
			ctx := crm.AsSystem(context.Background())
			q := crm.Query{Entity: "contact", Where: c.where}
			want, err := store.Count(ctx, q)
			if err != nil || want == 0 {
				b.Fatal(err, want)
			}
			b.ReportAllocs()
			for b.Loop() {
				if n, err := store.Count(ctx, q); err != nil || n != want {
					b.Fatal(err, n)
				}
			}
		})
		b.Run(c.name+"/impl=baseline", func(b *testing.B) {
			bl, _ := contactBaseline(benchContacts)
			want := bl.count(c.city)
			b.ReportAllocs()
			for b.Loop() {
				if n := bl.count(c.city); n != want {
					b.Fatal(n)
				}
			}
		})
	}
}

// A wide contact: 26 columns of every kind a contact has (17 text, an
// integer, a decimal, two bools, two times, two choices, a lookup), as
// the memory store holds it and as a hand-written program would, a
// struct per record in a map by ID.

func wideEntity() *crm.Entity {
	text := func(name string) crm.Field { return crm.Field{Name: name, Type: crm.TypeText, MaxLength: 200} }
	return &crm.Entity{
		Name:        "person",
		PrimaryName: "lastname",
		Fields: []crm.Field{
			text("firstname"), text("middlename"), text("lastname"), text("jobtitle"), text("department"),
			text("emailaddress1"), text("emailaddress2"), text("telephone1"), text("mobilephone"),
			text("address1_line1"), text("address1_line2"), text("address1_city"), text("address1_stateorprovince"),
			text("address1_postalcode"), text("address1_country"), text("websiteurl"), text("description"),
			{Name: "numberofchildren", Type: crm.TypeInteger},
			{Name: "creditscore", Type: crm.TypeDecimal, Precision: 2},
			{Name: "donotemail", Type: crm.TypeBool},
			{Name: "donotphone", Type: crm.TypeBool},
			{Name: "birthdate", Type: crm.TypeTime, DateOnly: true},
			{Name: "lastusedincampaign", Type: crm.TypeTime},
			{Name: "gendercode", Type: crm.TypeChoice, Options: []crm.Option{{Value: 1, Label: "Male"}, {Value: 2, Label: "Female"}, {Value: 3, Label: "Other"}}},
			{Name: "preferredcontactmethodcode", Type: crm.TypeChoice, Options: []crm.Option{{Value: 1, Label: "Any"}, {Value: 2, Label: "Email"}, {Value: 3, Label: "Phone"}}},
			{Name: "parentcustomerid", Type: crm.TypeLookup, Targets: []string{"person"}, OnDelete: crm.DeleteRemoveLink},
		},
	}
}

// wideStruct is a wide contact as a Go struct: the record header and the
// 26 columns, typed.
type wideStruct struct {
	crm.Header
	FirstName, MiddleName, LastName, JobTitle, Department    string
	Email1, Email2, Telephone1, MobilePhone                  string
	Line1, Line2, City, StateOrProvince, PostalCode, Country string
	WebsiteURL, Description                                  string
	NumberOfChildren                                         int64
	CreditScore                                              decimal.Decimal
	DoNotEmail, DoNotPhone                                   bool
	BirthDate, LastUsedInCampaign                            time.Time
	GenderCode, PreferredContactMethod                       int32
	ParentCustomer                                           crm.Ref
}

// wideFields returns the i-th wide contact's columns, every string made
// afresh, so that whoever keeps them keeps their bytes; it points at
// parent unless that is crm.NilID.
func wideFields(i int, parent crm.ID) crm.Fields {
	s := strconv.Itoa(i)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	f := crm.Fields{
		"firstname": "First" + s, "middlename": "M" + s, "lastname": "Lastname" + s,
		"jobtitle": "Purchasing manager " + s, "department": "Procurement " + s,
		"emailaddress1": "first.last" + s + "@example.com", "emailaddress2": "fl" + s + "@example.org",
		"telephone1": "+44 20 7946 " + s, "mobilephone": "+44 7700 900" + s,
		"address1_line1": s + " Baker Street", "address1_line2": "Flat " + s,
		"address1_city": "London" + s[:1], "address1_stateorprovince": "Greater London" + s[:1],
		"address1_postalcode": "NW1 " + s, "address1_country": "United Kingdom" + s[:1],
		"websiteurl": "https://example.com/" + s, "description": "Met at the trade fair, follow up " + s,
		"numberofchildren": int64(i % 4), "creditscore": decimal.New(int64(500+i%300), 0),
		"donotemail": i%2 == 0, "donotphone": i%3 == 0,
		"birthdate": at.AddDate(-30, 0, -i%3650), "lastusedincampaign": at.Add(time.Duration(i) * time.Minute),
		"gendercode": int32(1 + i%3), "preferredcontactmethodcode": int32(1 + i%3),
	}
	if parent != crm.NilID {
		f["parentcustomerid"] = crm.Ref{Entity: "person", ID: parent}
	}
	return f
}

// wideStructOf is rec as a wideStruct.
func wideStructOf(rec crm.Record) wideStruct {
	f := rec.Fields
	return wideStruct{
		Header:    rec.Header,
		FirstName: f.String("firstname"), MiddleName: f.String("middlename"), LastName: f.String("lastname"),
		JobTitle: f.String("jobtitle"), Department: f.String("department"),
		Email1: f.String("emailaddress1"), Email2: f.String("emailaddress2"),
		Telephone1: f.String("telephone1"), MobilePhone: f.String("mobilephone"),
		Line1: f.String("address1_line1"), Line2: f.String("address1_line2"), City: f.String("address1_city"),
		StateOrProvince: f.String("address1_stateorprovince"), PostalCode: f.String("address1_postalcode"),
		Country: f.String("address1_country"), WebsiteURL: f.String("websiteurl"), Description: f.String("description"),
		NumberOfChildren: f.Int("numberofchildren"), CreditScore: f.Decimal("creditscore"),
		DoNotEmail: f.Bool("donotemail"), DoNotPhone: f.Bool("donotphone"),
		BirthDate: f.Time("birthdate"), LastUsedInCampaign: f.Time("lastusedincampaign"),
		GenderCode: choice(f, "gendercode"), PreferredContactMethod: choice(f, "preferredcontactmethodcode"),
		ParentCustomer: f.Ref("parentcustomerid"),
	}
}

func choice(f crm.Fields, name string) int32 { c, _ := f.Choice(name); return c }

// heapInUse returns the bytes of live heap after a full collection.
func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

const wideRecords = 20_000

// BenchmarkHeapPerRecord loads 20,000 wide contacts and reports the live
// heap they add, per record (B/record): into the memory store, through
// CreateMany, then read by a query on the city (so that the ordered
// indexes a queried entity keeps are counted), and into a map of
// wideStructs by ID. The time per op is the load's and is not the point.
func BenchmarkHeapPerRecord(b *testing.B) {
	b.Run("impl=memory", func(b *testing.B) {
		var perRecord float64
		for b.Loop() {
			reg := crm.NewRegistry()
			if err := reg.Register(wideEntity()); err != nil {
				b.Fatal(err)
			}
			ctx := crm.AsSystem(context.Background())
			before := heapInUse()
			store := memory.Open(reg)
			parent := crm.NilID
			for start := 0; start < wideRecords; start += 1000 {
				recs := make([]crm.Record, 0, 1000)
				for i := start; i < start+1000; i++ {
					recs = append(recs, crm.Record{Entity: "person", Fields: wideFields(i, parent)})
				}
				out, err := store.CreateMany(ctx, recs)
				if err != nil {
					b.Fatal(err)
				}
				parent = out[len(out)-1].ID
			}
			q := crm.Query{Entity: "person", Where: crm.Eq("address1_city", "London1"), OrderBy: []crm.Order{crm.Asc("lastname")}, Limit: 10}
			if page, err := store.Query(ctx, q); err != nil || len(page.Records) == 0 {
				b.Fatal(err)
			}
			perRecord = float64(heapInUse()-before) / wideRecords
			runtime.KeepAlive(store)
		}
		b.ReportMetric(perRecord, "B/record")
	})
	b.Run("impl=baseline", func(b *testing.B) {
		var perRecord float64
		for b.Loop() {
			before := heapInUse()
			rows := map[crm.ID]wideStruct{}
			parent := crm.NilID
			for i := range wideRecords {
				id := crm.NewID()
				now := time.Now().UTC()
				rows[id] = wideStructOf(crm.Record{
					Entity: "person",
					Header: crm.Header{ID: id, Version: 1, CreatedOn: now, ModifiedOn: now, State: 0, Status: 1},
					Fields: wideFields(i, parent),
				})
				if i%1000 == 999 {
					parent = id // as the store's load, a batch at a time
				}
			}
			perRecord = float64(heapInUse()-before) / wideRecords
			runtime.KeepAlive(rows)
		}
		b.ReportMetric(perRecord, "B/record")
	})
}
