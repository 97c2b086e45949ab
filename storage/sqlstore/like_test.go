package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

// TestLongLikePatterns: patterns longer than SQLite's 50,000-byte limit on
// a field that holds longer text match what the memory store matches.
func TestLongLikePatterns(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, reg.Register(&crm.Entity{Name: "note", PrimaryName: "title", Fields: []crm.Field{
		{Name: "title", Type: crm.TypeText, Required: true},
		{Name: "body", Type: crm.TypeText, MaxLength: 200_000},
	}}))
	long := strings.Repeat("x", 60_000)
	bodies := map[string]string{
		"long":        long,
		"long end":    long + "End",
		"start long":  "Start" + long,
		"both":        "Start" + long + "End",
		"short":       "xxxx",
		"other":       strings.Repeat("y", 60_005),
		"no body yet": "",
	}
	ctx := crm.AsSystem(context.Background())
	fill := func(s *storage.Store) {
		for title, body := range bodies {
			f := crm.Fields{"title": title}
			if body != "" {
				f["body"] = body
			}
			_, err := s.Create(ctx, crm.Record{Entity: "note", Fields: f})
			require.NoError(t, err)
		}
	}
	titles := func(t *testing.T, s *storage.Store, where crm.Filter) []string {
		t.Helper()
		var out []string
		for rec, err := range s.Iterate(ctx, crm.Query{Entity: "note", Where: where}) {
			require.NoError(t, err)
			out = append(out, rec.Fields.String("title"))
		}
		return out
	}
	filters := map[string]crm.Filter{
		"like a literal":        crm.Like("body", long),
		"begins with":           crm.BeginsWith("body", "START"+long),
		"ends with":             crm.Where("body", crm.OpEndsWith, long+"end"),
		"contains":              crm.Like("body", "%"+long+"%"),
		"runs of percent":       crm.Like("body", strings.Repeat("%", 30_000)+"x"+strings.Repeat("%", 30_000)),
		"longer than the field": crm.BeginsWith("body", strings.Repeat("x", 200_001)),
		"not like a literal":    crm.Where("body", crm.OpNotLike, long),
		"not begins with":       crm.Where("body", crm.OpNotBeginWith, "start"+long),
		"not ends with":         crm.Where("body", crm.OpNotEndWith, long+"END"),
		"not longer than field": crm.Where("body", crm.OpNotBeginWith, strings.Repeat("x", 200_001)),
	}
	ref := memory.Open(reg)
	fill(ref)
	for _, o := range dialects(t) {
		t.Run(o.name, func(t *testing.T) {
			o.raw(t) // skips PostgreSQL without a DSN
			s := storage.New(o.open(t, reg), reg)
			fill(s)
			for name, where := range filters {
				t.Run(name, func(t *testing.T) {
					want := titles(t, ref, where)
					if !strings.HasSuffix(name, "longer than the field") {
						require.NotEmpty(t, want, "the memory store matches some")
					}
					require.ElementsMatch(t, want, titles(t, s, where))
				})
			}
		})
	}
}
