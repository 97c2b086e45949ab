package recurrence_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/crmkit/crmkit/activity/recurrence"
	"github.com/crmkit/crmkit/crm"
)

func utc(y int, m time.Month, day, h, min int) time.Time {
	return time.Date(y, m, day, h, min, 0, 0, time.UTC)
}

func collect(seq func(func(recurrence.Occurrence) bool)) []recurrence.Occurrence {
	var out []recurrence.Occurrence
	for o := range seq {
		out = append(out, o)
	}
	return out
}

func dateList(os []recurrence.Occurrence) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.Date.String()
		if o.Exception {
			out[i] += "*"
		}
	}
	return out
}

// TestSplitScenario is scenario 7: a weekly series with two past and three
// future instances; the pattern changes. The old series keeps the two past
// instances and ends at the last of them, the three future ones go, and
// the new pattern expands the future.
func TestSplitScenario(t *testing.T) {
	old := recurrence.WeeklyEvery(d(2024, 1, 1), 1, recurrence.Monday).At(recurrence.At(9, 0), 60).EndAfter(5)
	now := utc(2024, 1, 10, 8, 0) // after Jan 1 and 8; before Jan 15, 22, 29
	next := recurrence.WeeklyEvery(d(2024, 1, 1), 1, recurrence.Wednesday|recurrence.Friday).At(recurrence.At(10, 0), 30).EndBy(d(2024, 1, 26))

	r, err := recurrence.Split(old, now, next)
	if err != nil {
		t.Fatal(err)
	}
	if r.AllFuture {
		t.Fatal("split reported all instances in the future")
	}
	if got := dateList(collect(r.Kept)); !slices.Equal(got, []string{"2024-01-01", "2024-01-08"}) {
		t.Errorf("kept %v, want the two past instances", got)
	}
	if got := dateList(collect(r.Removed)); !slices.Equal(got, []string{"2024-01-15", "2024-01-22", "2024-01-29"}) {
		t.Errorf("removed %v, want the three future instances", got)
	}
	if r.LastPast.Date != d(2024, 1, 8) || r.Old.EndType != recurrence.EndByDate || r.Old.EndDate != d(2024, 1, 8) {
		t.Errorf("old ended %v/%v at %v, want by date at 2024-01-08", r.Old.EndType, r.Old.EndDate, r.LastPast.Date)
	}
	ended, err := recurrence.NewSeries(r.Old, recurrence.Exceptions{})
	if err != nil {
		t.Fatalf("ended old pattern invalid: %v", err)
	}
	if last, ok := ended.EffectiveEnd(); !ok || last.Date != d(2024, 1, 8) {
		t.Errorf("old effectiveenddate %v, want 2024-01-08", last.Date)
	}
	if got := dateList(collect(ended.Expand(recurrence.Window{}))); !slices.Equal(got, []string{"2024-01-01", "2024-01-08"}) {
		t.Errorf("ended old series expands to %v", got)
	}
	if !r.HasNew || r.NewStart.Date != d(2024, 1, 10) || r.New.StartDate != d(2024, 1, 10) {
		t.Fatalf("new series from %v (has %v), want 2024-01-10", r.NewStart.Date, r.HasNew)
	}
	got := dates(t, r.New, 100)
	want := []string{"2024-01-10", "2024-01-12", "2024-01-17", "2024-01-19", "2024-01-24", "2024-01-26"}
	if !slices.Equal(got, want) {
		t.Errorf("new series %v, want %v", got, want)
	}
}

func TestSplit(t *testing.T) {
	old := recurrence.WeeklyEvery(d(2024, 1, 1), 1, recurrence.Monday).At(recurrence.At(9, 0), 60)

	t.Run("new count loses the instances before the change", func(t *testing.T) {
		next := recurrence.WeeklyEvery(d(2024, 1, 1), 1, recurrence.Wednesday).At(recurrence.At(9, 0), 60).EndAfter(5)
		r, err := recurrence.Split(old, utc(2024, 1, 10, 8, 0), next)
		if err != nil {
			t.Fatal(err)
		}
		// next: Jan 3 (past), 10, 17, 24, 31.
		if r.New.Occurrences != 4 || r.New.StartDate != d(2024, 1, 10) {
			t.Errorf("new: %d occurrences from %v, want 4 from 2024-01-10", r.New.Occurrences, r.New.StartDate)
		}
		if got := dates(t, r.New, 100); !slices.Equal(got, []string{"2024-01-10", "2024-01-17", "2024-01-24", "2024-01-31"}) {
			t.Errorf("new series %v", got)
		}
	})
	t.Run("interval alignment survives the new start", func(t *testing.T) {
		next := recurrence.WeeklyEvery(d(2024, 1, 1), 2, recurrence.Tuesday).At(recurrence.At(9, 0), 60)
		r, err := recurrence.Split(old, utc(2024, 1, 10, 8, 0), next)
		if err != nil {
			t.Fatal(err)
		}
		// next: Jan 2, 16, 30, Feb 13 …
		if got := dates(t, r.New, 3); !slices.Equal(got, []string{"2024-01-16", "2024-01-30", "2024-02-13"}) {
			t.Errorf("new series %v", got)
		}
	})
	t.Run("an instance under way is past; the new one may follow it the same day", func(t *testing.T) {
		r, err := recurrence.Split(old, utc(2024, 1, 8, 9, 30), old.At(recurrence.At(11, 0), 60))
		if err != nil {
			t.Fatal(err)
		}
		if r.LastPast.Date != d(2024, 1, 8) || !r.NewStart.Start.Equal(utc(2024, 1, 8, 11, 0)) {
			t.Errorf("last past %v, new start %v", r.LastPast.Date, r.NewStart.Date)
		}
	})
	t.Run("all future: no split", func(t *testing.T) {
		next := old.At(recurrence.At(11, 0), 60)
		r, err := recurrence.Split(old, utc(2024, 1, 1, 8, 59), next)
		if err != nil {
			t.Fatal(err)
		}
		if !r.AllFuture || r.Old != old || r.New != next || !r.HasNew || r.NewStart.Date != d(2024, 1, 1) {
			t.Errorf("all-future split %+v", r)
		}
		if len(collect(r.Kept)) != 0 {
			t.Error("kept instances in an all-future split")
		}
		n := 0
		for range r.Removed {
			if n++; n == 10 {
				break
			}
		}
		if n != 10 {
			t.Errorf("removed yields %d of a no-end series", n)
		}
	})
	t.Run("new pattern with nothing after the change", func(t *testing.T) {
		next := old.EndBy(d(2024, 1, 8))
		r, err := recurrence.Split(old, utc(2024, 1, 10, 8, 0), next)
		if err != nil {
			t.Fatal(err)
		}
		if r.HasNew || r.AllFuture || r.LastPast.Date != d(2024, 1, 8) {
			t.Errorf("split %+v", r)
		}
	})
	t.Run("invalid patterns refused", func(t *testing.T) {
		_, err := recurrence.Split(old, utc(2024, 1, 10, 8, 0), old.EndAfter(0))
		var ve *crm.ValidationError
		if !errors.As(err, &ve) || !ve.Has("occurrences") {
			t.Errorf("got %v, want an occurrences error", err)
		}
	})
}

func TestExceptions(t *testing.T) {
	mwf := recurrence.WeeklyEvery(d(2024, 1, 1), 1, recurrence.Monday|recurrence.Wednesday|recurrence.Friday).At(recurrence.At(9, 0), 60).EndAfter(5)
	// Jan 1, 3, 5, 8, 10. Delete Jan 3; move Jan 5 to Tuesday Jan 9 14:00.
	ex := recurrence.Exceptions{}.Delete(d(2024, 1, 3)).Modify(d(2024, 1, 5), utc(2024, 1, 9, 14, 0), utc(2024, 1, 9, 15, 0))
	s, err := recurrence.NewSeries(mwf, ex)
	if err != nil {
		t.Fatal(err)
	}
	all := collect(s.Expand(recurrence.Window{}))
	if got := dateList(all); !slices.Equal(got, []string{"2024-01-01", "2024-01-08", "2024-01-05*", "2024-01-10"}) {
		t.Fatalf("expanded %v", got)
	}
	if !all[2].Start.Equal(utc(2024, 1, 9, 14, 0)) || !all[2].Exception {
		t.Errorf("moved instance %+v", all[2])
	}
	if got := dateList(collect(s.Expand(recurrence.Window{From: utc(2024, 1, 9, 0, 0), To: utc(2024, 1, 11, 0, 0)}))); !slices.Equal(got, []string{"2024-01-05*", "2024-01-10"}) {
		t.Errorf("window Jan 9–10: %v, want the moved instance and Jan 10", got)
	}
	if got := collect(s.Expand(recurrence.Window{From: utc(2024, 1, 5, 0, 0), To: utc(2024, 1, 6, 0, 0)})); len(got) != 0 {
		t.Errorf("Jan 5 still has %v", dateList(got))
	}
	if n := s.Count(recurrence.Window{}); n != 4 {
		t.Errorf("count %d, want 4", n)
	}
	// The pattern's range is the pattern's: a deleted instance does not move it.
	if first, _ := s.EffectiveStart(); first.Date != d(2024, 1, 1) {
		t.Errorf("effective start %v", first.Date)
	}
	// CreateInstance appends plain instances only.
	if got := dateList(s.After(utc(2024, 1, 8, 9, 0), 5)); !slices.Equal(got, []string{"2024-01-10"}) {
		t.Errorf("after Jan 8: %v", got)
	}
	// Early stop with a moved instance pending.
	for range s.Expand(recurrence.Window{}) {
		break
	}

	t.Run("values do not alias", func(t *testing.T) {
		base := recurrence.Exceptions{}.Delete(d(2024, 1, 3))
		a := base.Delete(d(2024, 1, 5))
		b := base.Delete(d(2024, 1, 8))
		if len(base.Deleted) != 1 || a.Deleted[1] != d(2024, 1, 5) || b.Deleted[1] != d(2024, 1, 8) {
			t.Errorf("base %v a %v b %v", base.Deleted, a.Deleted, b.Deleted)
		}
		m := base.Modify(d(2024, 1, 5), utc(2024, 1, 5, 10, 0), utc(2024, 1, 5, 11, 0)).Modify(d(2024, 1, 5), utc(2024, 1, 5, 12, 0), utc(2024, 1, 5, 13, 0))
		if len(m.Modified) != 1 || !m.Modified[0].Start.Equal(utc(2024, 1, 5, 12, 0)) {
			t.Errorf("second change of one instance: %+v", m.Modified)
		}
		if got := m.Delete(d(2024, 1, 5)); len(got.Modified) != 0 {
			t.Errorf("deleting a modified instance kept its change")
		}
	})

	t.Run("bad exceptions refused", func(t *testing.T) {
		tests := []struct {
			name  string
			ex    recurrence.Exceptions
			field string
		}{
			{"deleted date not an instance", recurrence.Exceptions{Deleted: []recurrence.Date{d(2024, 1, 2)}}, "deletedexceptionslist"},
			{"deleted twice", recurrence.Exceptions{Deleted: []recurrence.Date{d(2024, 1, 3), d(2024, 1, 3)}}, "deletedexceptionslist"},
			{"deleted after the count", recurrence.Exceptions{Deleted: []recurrence.Date{d(2024, 1, 12)}}, "deletedexceptionslist"},
			{"modified date not an instance", recurrence.Exceptions{Modified: []recurrence.Modified{{Original: d(2024, 1, 2), Start: utc(2024, 1, 2, 9, 0), End: utc(2024, 1, 2, 9, 0)}}}, "originalstartdate"},
			{"deleted and modified", recurrence.Exceptions{Deleted: []recurrence.Date{d(2024, 1, 3)}, Modified: []recurrence.Modified{{Original: d(2024, 1, 3), Start: utc(2024, 1, 3, 9, 0), End: utc(2024, 1, 3, 9, 0)}}}, "originalstartdate"},
			{"modified without start", recurrence.Exceptions{Modified: []recurrence.Modified{{Original: d(2024, 1, 3)}}}, "scheduledstart"},
			{"modified ends before start", recurrence.Exceptions{Modified: []recurrence.Modified{{Original: d(2024, 1, 3), Start: utc(2024, 1, 3, 9, 0), End: utc(2024, 1, 3, 8, 0)}}}, "scheduledend"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := recurrence.NewSeries(mwf, tt.ex)
				var ve *crm.ValidationError
				if !errors.As(err, &ve) || !ve.Has(tt.field) {
					t.Errorf("got %v, want a %s error", err, tt.field)
				}
			})
		}
	})
}

// TestSeriesConcurrentUse: a Series is a value that goroutines may expand
// at once (run with -race).
func TestSeriesConcurrentUse(t *testing.T) {
	s, err := recurrence.NewSeries(recurrence.EveryWeekday(d(2024, 1, 1)).EndAfter(200),
		recurrence.Exceptions{}.Delete(d(2024, 1, 2)).Modify(d(2024, 1, 3), utc(2024, 1, 7, 9, 0), utc(2024, 1, 7, 10, 0)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	for range 4 {
		go func() { done <- s.Count(recurrence.Window{}) }()
	}
	for range 4 {
		if n := <-done; n != 199 {
			t.Errorf("count %d, want 199", n)
		}
	}
}
