package sales_test

// BenchmarkPipelineReport runs three pipeline reports over
// CRMKIT_BENCH_PIPELINE_N opportunities (default 2,000; BENCHMARKS.md uses
// 100,000) through sales.Pipeline and through one prepared hand-written
// SELECT computing the same figures, on the same database. Names pair for
// benchstat:
//
//	CRMKIT_BENCH_PIPELINE_N=100000 go test -run '^$' -bench PipelineReport -count 6 ./sales/ > pipeline.txt
//	benchstat -col /impl pipeline.txt
//
// The database is loaded once per process, the first time a benchmark
// asks for it (never by go test without -bench), and dropped by TestMain.
// db=postgres runs when CRMKIT_POSTGRES_DSN is set.

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/stores"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
)

const (
	envPipelineN     = "CRMKIT_BENCH_PIPELINE_N"
	pipeDefaultN     = 2_000
	pipeOwners       = 50
	pipeTeams        = 5
	pipeImportChunks = 10_000
)

// pipeFixture is one database of opportunities, seen by crmkit and by the
// hand-written SQL.
type pipeFixture struct {
	pg    bool
	pipe  *sales.Pipeline
	db    *sql.DB
	table string // opportunity, quoted and qualified
	stmts map[string]*sql.Stmt
	mu    sync.Mutex
}

// pipeFixtures are loaded once per process and per database, and removed
// by TestMain.
var pipeFixtures stores.Fixtures[*pipeFixture]

func TestMain(m *testing.M) {
	code := m.Run()
	pipeFixtures.Close()
	os.Exit(code)
}

// pipeReports are the reports benchmarked: crmkit's call and the rows it
// returns, counted.
var pipeReports = []struct {
	name   string
	crmkit func(ctx context.Context, p *sales.Pipeline) (int, error)
}{
	{"stage", func(ctx context.Context, p *sales.Pipeline) (int, error) {
		rows, err := p.Open(ctx, sales.ByStage)
		return len(rows), err
	}},
	{"month", func(ctx context.Context, p *sales.Pipeline) (int, error) {
		rows, err := p.Open(ctx, sales.ByMonth)
		return len(rows), err
	}},
	{"winrate", func(ctx context.Context, p *sales.Pipeline) (int, error) {
		rows, err := p.WinRate(ctx, sales.ByOwner)
		return len(rows), err
	}},
}

func BenchmarkPipelineReport(b *testing.B) {
	b.Run("db=sqlite", func(b *testing.B) { benchPipeline(b, "sqlite") })
	b.Run("db=postgres", func(b *testing.B) {
		if os.Getenv("CRMKIT_POSTGRES_DSN") == "" {
			b.Skip("CRMKIT_POSTGRES_DSN is not set")
		}
		benchPipeline(b, "postgres")
	})
}

func benchPipeline(b *testing.B, db string) {
	ctx := crm.AsSystem(context.Background())
	for _, r := range pipeReports {
		b.Run("report="+r.name, func(b *testing.B) {
			b.Run("impl=crmkit", func(b *testing.B) {
				f := pipelineFixture(b, db)
				for b.Loop() {
					if n, err := r.crmkit(ctx, f.pipe); err != nil || n == 0 {
						b.Fatalf("%s: %d rows, %v", r.name, n, err)
					}
				}
			})
			b.Run("impl=sql", func(b *testing.B) {
				f := pipelineFixture(b, db)
				for b.Loop() {
					if rows, err := f.hw(ctx, r.name); err != nil || len(rows) == 0 {
						b.Fatalf("hand-written %s: %d rows, %v", r.name, len(rows), err)
					}
				}
			})
		})
	}
}

func pipelineFixture(b *testing.B, db string) *pipeFixture {
	b.Helper()
	return pipeFixtures.Get(b, db, func() (*pipeFixture, func()) {
		return loadPipeline(b, db, stores.EnvSize(b, envPipelineN, pipeDefaultN, 100))
	})
}

// loadPipeline opens a fresh database and imports n opportunities: 60 %
// open, 25 % won, 15 % lost, owned by 50 users and 5 teams, their close
// dates over two years.
func loadPipeline(b *testing.B, db string, n int) (*pipeFixture, func()) {
	ctx := crm.AsSystem(context.Background())
	reg := crm.NewRegistry()
	require.NoError(b, sales.Register(reg))
	bdb := stores.OpenBenchDB(b, db, "crmkit_pipe_", reg)
	st := storage.New(bdb.Driver, reg)
	f := &pipeFixture{pg: bdb.Postgres, stmts: map[string]*sql.Stmt{}, table: bdb.Table(sales.OpportunityEntity),
		pipe: sales.NewPipeline(st), db: bdb.Driver.DB()}

	owners := make([]crm.Ref, 0, pipeOwners+pipeTeams)
	for i := range pipeOwners + pipeTeams {
		e := crm.UserEntity
		if i >= pipeOwners {
			e = crm.TeamEntity
		}
		owners = append(owners, crm.Ref{Entity: e, ID: uuid.Must(uuid.NewV7())})
	}
	began := time.Now()
	rng := rand.New(rand.NewPCG(23, 23))
	first := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for done := 0; done < n; done += pipeImportChunks {
		recs := make([]crm.Record, 0, pipeImportChunks)
		for range min(pipeImportChunks, n-done) {
			created := first.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Second)
			closeOn := created.AddDate(0, 0, 7+rng.IntN(365)).Truncate(24 * time.Hour)
			value := crm.NewMoney(decimal.New(int64(1_000+rng.IntN(99_000)), 0), "USD")
			stage := rng.IntN(4)
			f := crm.Fields{sales.OpportunityName: "Deal", sales.OpportunitySalesStage: int32(stage),
				sales.OpportunityEstimatedValue: value, sales.OpportunityProbability: int64(10 + 20*stage + rng.IntN(10)),
				sales.OpportunityEstimatedCloseDate: closeOn}
			rec := crm.Record{Entity: sales.OpportunityEntity, Fields: f,
				Header: crm.Header{Owner: owners[rng.IntN(len(owners))], CreatedOn: created}}
			switch r := rng.IntN(20); {
			case r < 5:
				rec.State = crm.StateCode(sales.OpportunityStateWon)
				f[sales.OpportunityActualValue], f[sales.OpportunityActualCloseDate] = value, closeOn
			case r < 8:
				rec.State = crm.StateCode(sales.OpportunityStateLost)
				f[sales.OpportunityActualValue], f[sales.OpportunityActualCloseDate] = crm.NewMoney(decimal.Zero, "USD"), closeOn
			}
			recs = append(recs, rec)
		}
		_, err := st.Import(ctx, recs, storage.ImportOptions{})
		require.NoError(b, err)
	}
	bdb.Analyze(b, sales.OpportunityEntity)
	f.checkSame(b)
	b.Logf("%s: %d opportunities imported in %v", db, n, time.Since(began).Round(time.Millisecond))
	return f, bdb.Close
}

// hwSQL is the hand-written SELECT of a report: the same groups and
// figures, amounts kept apart by currency.
func (f *pipeFixture) hwSQL(report string) string {
	month := "strftime('%Y-%m', estimatedclosedate / 1000000, 'unixepoch')"
	if f.pg {
		month = "date_trunc('month', estimatedclosedate)"
	}
	switch report {
	case "stage":
		return "SELECT salesstage, estimatedvalue_currency, COUNT(*), SUM(estimatedvalue), SUM(weightedvalue) FROM " + f.table +
			" WHERE statecode = 0 GROUP BY salesstage, estimatedvalue_currency ORDER BY 1, 2"
	case "month":
		return "SELECT " + month + ", estimatedvalue_currency, COUNT(*), SUM(estimatedvalue), SUM(weightedvalue) FROM " + f.table +
			" WHERE statecode = 0 GROUP BY 1, 2 ORDER BY 1, 2"
	case "winrate":
		return "SELECT ownerid, ownerid_type, statecode, actualvalue_currency, COUNT(*), SUM(actualvalue) FROM " + f.table +
			" WHERE statecode IN (1, 2) GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
	}
	panic("unknown report " + report)
}

// hw runs a report's hand-written SELECT and returns its rows, each
// column scanned as the driver gives it.
func (f *pipeFixture) hw(ctx context.Context, report string) ([][]any, error) {
	f.mu.Lock()
	s, ok := f.stmts[report]
	if !ok {
		var err error
		if s, err = f.db.PrepareContext(ctx, f.hwSQL(report)); err != nil {
			f.mu.Unlock()
			return nil, err
		}
		f.stmts[report] = s
	}
	f.mu.Unlock()
	rows, err := s.QueryContext(ctx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rows.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// hwAmount reads a hand-written sum: SQLite keeps money as integers times
// 10^4, PostgreSQL as numeric.
func (f *pipeFixture) hwAmount(v any) decimal.Decimal {
	switch v := v.(type) {
	case int64:
		return decimal.New(v, -4)
	case []byte:
		return decimal.RequireFromString(string(v))
	case string:
		return decimal.RequireFromString(v)
	}
	panic(fmt.Sprintf("hwAmount: %T", v))
}

// checkSame checks that crmkit and the hand-written SQL give the same
// figures for the stage report, and as many groups for every report.
func (f *pipeFixture) checkSame(b *testing.B) {
	ctx := crm.AsSystem(context.Background())
	rows, err := f.pipe.Open(ctx, sales.ByStage)
	require.NoError(b, err)
	hw, err := f.hw(ctx, "stage")
	require.NoError(b, err)
	require.Len(b, hw, len(rows))
	for i, r := range rows {
		require.EqualValues(b, *r.Stage, hw[i][0])
		require.EqualValues(b, r.Opportunities, hw[i][2])
		require.True(b, r.Value.Amount.Equal(f.hwAmount(hw[i][3])), "stage %s value", *r.Stage)
		require.True(b, r.Weighted.Amount.Equal(f.hwAmount(hw[i][4])), "stage %s weighted", *r.Stage)
	}
	for _, r := range pipeReports[1:] {
		n, err := r.crmkit(ctx, f.pipe)
		require.NoError(b, err)
		hw, err := f.hw(ctx, r.name)
		require.NoError(b, err)
		groups := len(hw)
		if r.name == "winrate" { // one SQL row per owner and state
			owners := map[string]bool{}
			for _, row := range hw {
				owners[fmt.Sprint(row[0])] = true
			}
			groups = len(owners)
		}
		require.Equal(b, groups, n, "%s: as many groups", r.name)
	}
}
