package recurrence

import (
	"fmt"
	"iter"
	"time"
)

// SplitResult is what changing a series' pattern at a moment does to it
// (C6.4): what the activity module needs to end the old series, delete its
// future instances and create the new series with the same groupid.
type SplitResult struct {
	// AllFuture reports that no instance of the old pattern had started by
	// the change: there is no split. Every instance is deleted, the series
	// keeps its id and takes the new pattern as given (New), and its
	// instances are expanded again.
	AllFuture bool

	// Old is the old pattern ended at its last past instance (patternendtype
	// Pattern End Date, patternenddate = LastPast.Date), so its
	// effectiveenddate is LastPast. With AllFuture it is the old pattern
	// unchanged.
	Old Pattern
	// LastPast is the old pattern's last instance that started before the
	// change; zero with AllFuture.
	LastPast Occurrence

	// Kept yields the old instances that started before the change: they
	// stay with the old series. Removed yields the rest, to delete; for a
	// series without an end it does not end by itself, so match it against
	// the instances that exist (they are the ones materialised).
	Kept, Removed iter.Seq[Occurrence]

	// New is the new series' pattern: the new pattern from its first
	// instance at or after the change (NewStart), with its count reduced by
	// the instances it would have had before the change, so New expands to
	// exactly the new pattern's future instances. HasNew is false when the
	// new pattern has no instance at or after the change; New is then the
	// zero Pattern. With AllFuture, New is the new pattern as given.
	New      Pattern
	HasNew   bool
	NewStart Occurrence
}

// Split works out a change of a series' pattern from old to next at the
// moment now (C6.4, scenario 7). An instance is past when it starts before
// now (DERIVED: an instance under way at the change is past and kept), and
// future otherwise. Both patterns must be valid; the error is then a
// *crm.ValidationError (wrapped with which pattern it concerns). Split only
// computes: the activity module keeps groupid, ids and rows.
func Split(old Pattern, now time.Time, next Pattern) (SplitResult, error) {
	os, err := NewSeries(old, Exceptions{})
	if err != nil {
		return SplitResult{}, fmt.Errorf("split series: old pattern: %w", err)
	}
	ns, err := NewSeries(next, Exceptions{})
	if err != nil {
		return SplitResult{}, fmt.Errorf("split series: new pattern: %w", err)
	}
	r := SplitResult{
		Kept:    os.Expand(Window{To: now}),
		Removed: os.Expand(Window{From: now}),
	}
	last, ok := os.lastBefore(now)
	if !ok {
		r.AllFuture, r.Old, r.New = true, old, next
		r.NewStart, r.HasNew = ns.EffectiveStart()
		return r, nil
	}
	r.LastPast, r.Old = last, old.EndBy(last.Date)
	for o := range ns.Expand(Window{From: now}) {
		r.NewStart, r.HasNew = o, true
		break
	}
	if !r.HasNew {
		return r, nil
	}
	// Starting the new pattern on its first future instance keeps its
	// alignment: that date's day, week, month or year is an active period,
	// so counting every Nth period from it gives the same periods onwards.
	r.New = next
	r.New.StartDate = r.NewStart.Date
	if next.EndType == EndAfterOccurrences {
		r.New.Occurrences = next.Occurrences - ns.Count(Window{To: now})
	}
	return r, nil
}

// lastBefore returns the pattern's last instance starting before t.
func (s Series) lastBefore(t time.Time) (last Occurrence, ok bool) {
	e := newExpander(s.p)
	// Instances starting before t have local dates up to t's (one more for
	// a time pushed over midnight by a gap); the last of them is in that
	// date's active period or the one before (each active period after the
	// first holds a match).
	k0 := e.g.firstPeriod(DateOf(t.In(e.loc)).days()+1, 1)
	e.g.each(k0, func(day int) bool {
		o := e.occurrence(day)
		if !o.Start.Before(t) {
			return false
		}
		last, ok = o, true
		return true
	})
	return last, ok
}
