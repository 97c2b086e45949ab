package activity_test

// BenchmarkTimeline reads a page of one account's timeline, of
// CRMKIT_BENCH_TIMELINE_N activities (default 10,000; BENCHMARKS.md uses
// 100,000) among as many again of other accounts, through
// activity.Service.Timeline and through one prepared hand-written SELECT on
// activitypointer, on the same database. Names pair for benchstat:
//
//	CRMKIT_BENCH_TIMELINE_N=100000 go test -run '^$' -bench Timeline -count 6 ./activity/ > timeline.txt
//	benchstat -col /impl timeline.txt
//
// The database is loaded once per process, the first time a benchmark
// asks for it (never by go test without -bench). db=postgres runs when
// CRMKIT_POSTGRES_DSN is set.

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/stores"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
)

const (
	envTimelineN    = "CRMKIT_BENCH_TIMELINE_N"
	tlDefaultN      = 10_000
	tlOtherAccounts = 200 // sharing as many activities again as the one account has
	tlPage          = 50
)

// tlFixture is one database holding the timeline, seen by crmkit and by
// the hand-written code.
type tlFixture struct {
	pg      bool
	acts    *activity.Service
	db      *sql.DB
	table   string // activitypointer, quoted and qualified
	account crm.Ref
	// deep is crmkit's cursor after the first half of the timeline;
	// deepKey the sort date and ID of the last activity before it, where
	// the hand-written keyset continues.
	deep        crm.Cursor
	deepDate    time.Time
	deepID      crm.ID
	from, to    time.Time // a year in the middle of the sort dates
	types       []string  // the type filter: emails and phone calls
	stmts       map[string]*sql.Stmt
	stmtsMu     sync.Mutex
	loadElapsed time.Duration
}

// tlFixtures are loaded once per process and per database, and removed
// by TestMain; a benchmark run with -count 6 reads one database.
var tlFixtures stores.Fixtures[*tlFixture]

func TestMain(m *testing.M) {
	code := m.Run()
	tlFixtures.Close()
	os.Exit(code)
}

func BenchmarkTimeline(b *testing.B) {
	b.Run("db=sqlite", func(b *testing.B) { benchTimeline(b, "sqlite") })
	b.Run("db=postgres", func(b *testing.B) {
		if os.Getenv("CRMKIT_POSTGRES_DSN") == "" {
			b.Skip("CRMKIT_POSTGRES_DSN is not set")
		}
		benchTimeline(b, "postgres")
	})
}

func benchTimeline(b *testing.B, db string) {
	ctx := crm.AsSystem(context.Background())
	cases := []struct {
		page string
		opts func(f *tlFixture) activity.TimelineOptions
	}{
		{"first", func(f *tlFixture) activity.TimelineOptions { return activity.TimelineOptions{PageSize: tlPage} }},
		{"deep", func(f *tlFixture) activity.TimelineOptions {
			return activity.TimelineOptions{PageSize: tlPage, Cursor: f.deep}
		}},
		{"types", func(f *tlFixture) activity.TimelineOptions {
			return activity.TimelineOptions{PageSize: tlPage, Types: f.types}
		}},
		{"range", func(f *tlFixture) activity.TimelineOptions {
			return activity.TimelineOptions{PageSize: tlPage, From: f.from, To: f.to}
		}},
	}
	for _, c := range cases {
		b.Run("page="+c.page, func(b *testing.B) {
			b.Run("impl=crmkit", func(b *testing.B) {
				f := timelineFixture(b, db)
				o := c.opts(f)
				for b.Loop() {
					p, err := f.acts.Timeline(ctx, f.account, o)
					if err != nil || len(p.Records) != tlPage {
						b.Fatalf("timeline: %d activities, %v", len(p.Records), err)
					}
				}
			})
			b.Run("impl=handwritten", func(b *testing.B) {
				f := timelineFixture(b, db)
				page := make([]hwActivity, 0, tlPage)
				for b.Loop() {
					var err error
					if page, err = f.hwPage(ctx, page[:0], c.page); err != nil || len(page) != tlPage {
						b.Fatalf("hand-written timeline: %d activities, %v", len(page), err)
					}
				}
			})
		})
	}
}

func timelineFixture(b *testing.B, db string) *tlFixture {
	b.Helper()
	return tlFixtures.Get(b, db, func() (*tlFixture, func()) {
		return loadTimeline(b, db, stores.EnvSize(b, envTimelineN, tlDefaultN, 4*tlPage))
	})
}

// loadTimeline opens a fresh database and imports the account's n
// activities and n more regarding other accounts.
func loadTimeline(b *testing.B, db string, n int) (*tlFixture, func()) {
	ctx := crm.AsSystem(context.Background())
	reg := crm.NewRegistry()
	require.NoError(b, activity.Register(reg))
	require.NoError(b, sales.Register(reg))
	require.NoError(b, reg.Complete())

	bdb := stores.OpenBenchDB(b, db, "crmkit_tl_", reg)
	st := storage.New(bdb.Driver, reg)
	f := &tlFixture{pg: bdb.Postgres, stmts: map[string]*sql.Stmt{}, table: bdb.Table(activity.PointerEntity),
		types: []string{activity.Email, activity.PhoneCall}, acts: activity.New(st), db: bdb.Driver.DB()}

	began := time.Now()
	accts := make([]crm.Record, 1+tlOtherAccounts)
	for i := range accts {
		accts[i] = crm.Record{Entity: sales.AccountEntity, Fields: crm.Fields{"name": fmt.Sprintf("Account %03d", i)}}
	}
	out, err := st.CreateMany(ctx, accts)
	require.NoError(b, err)
	f.account = out[0].Ref()
	rng := rand.New(rand.NewPCG(9, 9))
	const chunk = 10_000
	for done := 0; done < 2*n; done += chunk {
		recs := make([]crm.Record, 0, chunk)
		for i := done; i < min(done+chunk, 2*n); i++ {
			regarding := f.account
			if i >= n {
				regarding = out[1+rng.IntN(tlOtherAccounts)].Ref()
			}
			recs = append(recs, tlActivity(rng, regarding, i))
		}
		// Runs of one type are written in one statement each.
		slices.SortStableFunc(recs, func(x, y crm.Record) int { return cmpString(x.Entity, y.Entity) })
		_, err := st.Import(ctx, recs, storage.ImportOptions{})
		require.NoError(b, err)
	}
	bdb.Analyze(b, activity.PointerEntity)
	f.loadElapsed = time.Since(began)

	// The deep page starts after the first half of the timeline.
	var last activity.Activity
	o := activity.TimelineOptions{PageSize: min(crm.MaxPageSize, n/2)}
	for read := 0; read < n/2; {
		p, err := f.acts.Timeline(ctx, f.account, o)
		require.NoError(b, err)
		read += len(p.Records)
		last, o.Cursor = p.Records[len(p.Records)-1], p.Next
	}
	f.deep, f.deepDate, f.deepID = o.Cursor, last.SortDate, last.ID

	// The range is the year around the middle of the account's sort dates.
	f.from = last.SortDate.AddDate(0, -6, 0)
	f.to = last.SortDate.AddDate(0, 6, 0)

	f.checkSame(b)
	b.Logf("%s: %d activities of one account and %d of %d others imported in %v",
		db, n, n, tlOtherAccounts, f.loadElapsed.Round(time.Millisecond))
	for _, page := range []string{"first", "deep", "types", "range"} {
		b.Logf("%s hand-written %s: %s", db, page, f.explain(b, page))
	}
	return f, bdb.Close
}

var tlTypes = []string{activity.PhoneCall, activity.Email, activity.Task, activity.Appointment}

// tlSpan is the stretch of time the sort dates spread over: five years.
var (
	tlStart = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	tlSpan  = 5 * 365 * 24 * time.Hour
)

// tlActivity is activity i: a call, an email, a task or an appointment,
// about a third of them completed, some canceled, on a date within
// tlSpan (a task's due date at midnight, so that many share it and the
// ID decides their order).
func tlActivity(rng *rand.Rand, regarding crm.Ref, i int) crm.Record {
	typ := tlTypes[rng.IntN(len(tlTypes))]
	at := tlStart.Add(time.Duration(rng.Int64N(int64(tlSpan)))).Truncate(time.Minute)
	fields := crm.Fields{
		activity.FieldSubject:   fmt.Sprintf("%s %d", typ, i),
		activity.FieldRegarding: regarding,
		activity.FieldPriority:  int32(rng.IntN(3)),
	}
	rec := crm.Record{Entity: typ, Fields: fields}
	switch typ {
	case activity.Task:
		fields[activity.FieldScheduledEnd] = at.Truncate(24 * time.Hour)
		fields[activity.FieldPercentComplete] = int64(rng.IntN(101))
	case activity.Appointment:
		fields[activity.FieldScheduledStart] = at
		fields[activity.FieldScheduledEnd] = at.Add(time.Hour)
		fields[activity.FieldLocation] = "Room " + strconv.Itoa(rng.IntN(20))
	case activity.PhoneCall:
		fields[activity.FieldScheduledStart] = at
		fields[activity.FieldDirection] = rng.IntN(2) == 0
		fields[activity.FieldPhoneNumber] = "+49 30 " + strconv.Itoa(1_000_000+rng.IntN(9_000_000))
	case activity.Email:
		fields[activity.FieldScheduledStart] = at
		fields[activity.FieldDirection] = rng.IntN(2) == 0
		fields[activity.FieldDescription] = "Hello, this is email number " + strconv.Itoa(i) + "."
	}
	switch r := rng.IntN(10); {
	case r < 3:
		rec.State = crm.StateCode(activity.StateCompleted)
		fields[activity.FieldActualStart] = at.Add(-30 * time.Minute)
		fields[activity.FieldActualEnd] = at
	case r < 4:
		rec.State = crm.StateCode(activity.StateCanceled)
		fields[activity.FieldActualStart] = at
		fields[activity.FieldActualEnd] = at
	}
	return rec
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// hwActivity is the hand-written code's timeline entry: every column of
// activitypointer, as crmkit's Timeline reads them.
type hwActivity struct {
	ID                           uuid.UUID
	Version                      int64
	OwnerID                      uuid.UUID
	OwnerType                    string
	CreatedOn, ModifiedOn        hwTime
	CreatedBy, ModifiedBy        uuid.UUID
	State, Status                int64
	BusinessUnit                 uuid.NullUUID
	OverriddenCreatedOn          hwTime
	Subject, Description         sql.NullString
	Regarding                    uuid.NullUUID
	RegardingType                sql.NullString
	Priority                     sql.NullInt64
	ScheduledStart, ScheduledEnd hwTime
	ScheduledDuration            sql.NullInt64
	ActualStart, ActualEnd       hwTime
	ActualDuration               sql.NullInt64
	IsBilled, IsRegular          hwBool
	InstanceType                 sql.NullInt64
	Series                       uuid.NullUUID
	SeriesType                   sql.NullString
	SortDate                     hwTime
	Type                         sql.NullString
}

const hwTimelineColumns = `id, version, ownerid, ownerid_type, createdon, createdby, modifiedon, modifiedby, statecode, statuscode, ` +
	`owningbusinessunit, overriddencreatedon, subject, description, regardingobjectid, regardingobjectid_type, prioritycode, ` +
	`scheduledstart, scheduledend, scheduleddurationminutes, actualstart, actualend, actualdurationminutes, isbilled, ` +
	`isregularactivity, instancetypecode, seriesid, seriesid_type, sortdate, activitytypecode`

func (a *hwActivity) dest() []any {
	return []any{&a.ID, &a.Version, &a.OwnerID, &a.OwnerType, &a.CreatedOn, &a.CreatedBy, &a.ModifiedOn, &a.ModifiedBy,
		&a.State, &a.Status, &a.BusinessUnit, &a.OverriddenCreatedOn, &a.Subject, &a.Description, &a.Regarding,
		&a.RegardingType, &a.Priority, &a.ScheduledStart, &a.ScheduledEnd, &a.ScheduledDuration, &a.ActualStart,
		&a.ActualEnd, &a.ActualDuration, &a.IsBilled, &a.IsRegular, &a.InstanceType, &a.Series, &a.SeriesType,
		&a.SortDate, &a.Type}
}

// hwTime scans a time as either dialect stores it: SQLite integer
// microseconds, PostgreSQL timestamptz; null is the zero time.
type hwTime struct{ time.Time }

func (t *hwTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		t.Time = time.Time{}
	case int64:
		t.Time = time.UnixMicro(v).UTC()
	case time.Time:
		t.Time = v.UTC()
	default:
		return fmt.Errorf("hwTime: cannot scan %T", v)
	}
	return nil
}

// hwBool scans SQLite's 0/1 and PostgreSQL's boolean; null is false.
type hwBool bool

func (x *hwBool) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*x = false
	case int64:
		*x = v != 0
	case bool:
		*x = hwBool(v)
	default:
		return fmt.Errorf("hwBool: cannot scan %T", v)
	}
	return nil
}

// hwSQL is the hand-written query of a page: the activities regarding
// the account, newest first, the deep page after a (sortdate, id) key
// given as a row value, the filters as plain SQL.
func (f *tlFixture) hwSQL(page string) string {
	ph := func(i int) string {
		if f.pg {
			return "$" + strconv.Itoa(i)
		}
		return "?"
	}
	where := "regardingobjectid = " + ph(1) + " AND regardingobjectid_type = " + ph(2)
	switch page {
	case "deep":
		where += " AND (sortdate, id) < (" + ph(3) + ", " + ph(4) + ")"
	case "types":
		where += " AND activitytypecode IN (" + ph(3) + ", " + ph(4) + ")"
	case "range":
		where += " AND sortdate >= " + ph(3) + " AND sortdate < " + ph(4)
	}
	order := "sortdate DESC, id DESC"
	if f.pg {
		// PostgreSQL sorts nulls first descending; a timeline puts the
		// activities without a date last (id is never null: NULLS LAST
		// there matches the index, read backwards, and changes nothing).
		order = "sortdate DESC NULLS LAST, id DESC NULLS LAST"
	}
	return "SELECT " + hwTimelineColumns + " FROM " + f.table + " WHERE " + where +
		" ORDER BY " + order + " LIMIT " + strconv.Itoa(tlPage)
}

// hwArgs binds a page's values as the dialect stores them: on SQLite
// 16-byte IDs and integer microseconds.
func (f *tlFixture) hwArgs(page string) []any {
	id := func(x crm.ID) any {
		if f.pg {
			return x.String()
		}
		return x[:]
	}
	at := func(t time.Time) any {
		if f.pg {
			return t
		}
		return t.UnixMicro()
	}
	args := []any{id(f.account.ID), f.account.Entity}
	switch page {
	case "deep":
		args = append(args, at(f.deepDate), id(f.deepID))
	case "types":
		args = append(args, f.types[0], f.types[1])
	case "range":
		args = append(args, at(f.from), at(f.to))
	}
	return args
}

func (f *tlFixture) stmt(ctx context.Context, page string) (*sql.Stmt, error) {
	f.stmtsMu.Lock()
	defer f.stmtsMu.Unlock()
	if s, ok := f.stmts[page]; ok {
		return s, nil
	}
	s, err := f.db.PrepareContext(ctx, f.hwSQL(page))
	if err != nil {
		return nil, err
	}
	f.stmts[page] = s
	return s, nil
}

// hwPage reads a page with the hand-written query, appending to dst.
func (f *tlFixture) hwPage(ctx context.Context, dst []hwActivity, page string) ([]hwActivity, error) {
	s, err := f.stmt(ctx, page)
	if err != nil {
		return dst, err
	}
	rows, err := s.QueryContext(ctx, f.hwArgs(page)...)
	if err != nil {
		return dst, err
	}
	defer rows.Close()
	for rows.Next() {
		dst = append(dst, hwActivity{})
		if err := rows.Scan(dst[len(dst)-1].dest()...); err != nil {
			return dst, err
		}
	}
	return dst, rows.Err()
}

// checkSame checks that crmkit and the hand-written query give the same
// activities, in the same order, on every page benchmarked.
func (f *tlFixture) checkSame(b *testing.B) {
	ctx := crm.AsSystem(context.Background())
	opts := map[string]activity.TimelineOptions{
		"first": {PageSize: tlPage},
		"deep":  {PageSize: tlPage, Cursor: f.deep},
		"types": {PageSize: tlPage, Types: f.types},
		"range": {PageSize: tlPage, From: f.from, To: f.to},
	}
	for page, o := range opts {
		p, err := f.acts.Timeline(ctx, f.account, o)
		require.NoError(b, err)
		hw, err := f.hwPage(ctx, nil, page)
		require.NoError(b, err)
		require.Len(b, p.Records, tlPage, page)
		require.Len(b, hw, tlPage, page)
		for i := range hw {
			a := p.Records[i]
			require.Equal(b, a.ID, hw[i].ID, "%s page, entry %d", page, i)
			require.True(b, a.SortDate.Equal(hw[i].SortDate.Time), "%s page, entry %d", page, i)
			require.Equal(b, a.Type, hw[i].Type.String, "%s page, entry %d", page, i)
			require.Equal(b, a.Subject, hw[i].Subject.String, "%s page, entry %d", page, i)
		}
	}
}

// explain returns the query plan of a hand-written page, in one line.
func (f *tlFixture) explain(b *testing.B, page string) string {
	ctx := context.Background()
	prefix := "EXPLAIN QUERY PLAN "
	if f.pg {
		prefix = "EXPLAIN (COSTS OFF) "
	}
	rows, err := f.db.QueryContext(ctx, prefix+f.hwSQL(page), f.hwArgs(page)...)
	require.NoError(b, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(b, err)
	var out string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(b, rows.Scan(ptrs...))
		if out != "" {
			out += " | "
		}
		out += fmt.Sprint(vals[len(vals)-1])
	}
	return out
}
