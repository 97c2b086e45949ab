package recurrence

import (
	"cmp"
	"iter"
	"slices"
	"time"

	"github.com/crmkit/crmkit/crm"
)

// Exceptions are a series' exceptions: instances deleted from it and
// instances modified (moved or changed) in it. It is a value: Delete and
// Modify return a changed copy and leave the receiver alone.
type Exceptions struct {
	// Deleted is deletedexceptionslist: the dates of deleted instances.
	Deleted []Date
	// Modified are the instances made exceptions (instancetypecode 3).
	Modified []Modified
}

// Modified is one modified instance: the date it has in the pattern and its
// new times.
type Modified struct {
	Original   Date      // originalstartdate's date: the instance's date in the pattern
	Start, End time.Time // scheduledstart and scheduledend
}

// Delete returns e with the instance of date d deleted (and any change to
// it forgotten).
func (e Exceptions) Delete(d Date) Exceptions {
	out := Exceptions{Deleted: append(slices.Clip(e.Deleted), d)}
	for _, m := range e.Modified {
		if m.Original != d {
			out.Modified = append(out.Modified, m)
		}
	}
	return out
}

// Modify returns e with the instance of date original moved to [start, end),
// replacing an earlier change to it.
func (e Exceptions) Modify(original Date, start, end time.Time) Exceptions {
	out := Exceptions{Deleted: slices.Clone(e.Deleted)}
	for _, m := range e.Modified {
		if m.Original != original {
			out.Modified = append(out.Modified, m)
		}
	}
	out.Modified = append(out.Modified, Modified{Original: original, Start: start, End: end})
	return out
}

// Series is a valid pattern with its exceptions: what expands. Build one
// with NewSeries; the zero Series has no instances.
type Series struct {
	p        Pattern
	ex       Exceptions
	deleted  map[int]bool // day numbers
	modified map[int]bool
	moved    []Occurrence // the modified instances, by new start
}

// NewSeries checks p (Pattern.Validate) and ex: every deleted or modified
// date must be an instance of p and appear once, a modified instance needs
// a start and must not end before it. It returns a *crm.ValidationError
// naming deletedexceptionslist, originalstartdate, scheduledstart or
// scheduledend for bad exceptions.
func NewSeries(p Pattern, ex Exceptions) (Series, error) {
	if err := p.Validate(); err != nil {
		return Series{}, err
	}
	s := Series{p: p, ex: Exceptions{Deleted: slices.Clone(ex.Deleted), Modified: slices.Clone(ex.Modified)}}
	v := &crm.ValidationError{Entity: Entity}
	if len(ex.Deleted) > 0 {
		s.deleted = make(map[int]bool, len(ex.Deleted))
	}
	for _, d := range ex.Deleted {
		switch {
		case !d.Valid() || !s.Occurs(d):
			v.Add("deletedexceptionslist", "%s is not an instance of the series", d)
		case s.deleted[d.days()]:
			v.Add("deletedexceptionslist", "%s is listed twice", d)
		default:
			s.deleted[d.days()] = true
		}
	}
	if len(ex.Modified) > 0 {
		s.modified = make(map[int]bool, len(ex.Modified))
	}
	loc := p.loc()
	for _, m := range ex.Modified {
		day := m.Original.days()
		switch {
		case !m.Original.Valid() || !s.Occurs(m.Original):
			v.Add("originalstartdate", "%s is not an instance of the series", m.Original)
			continue
		case s.deleted[day]:
			v.Add("originalstartdate", "%s is both deleted and modified", m.Original)
			continue
		case s.modified[day]:
			v.Add("originalstartdate", "%s is modified twice", m.Original)
			continue
		case m.Start.IsZero():
			v.Add("scheduledstart", "is required for the modified instance of %s", m.Original)
			continue
		case m.End.Before(m.Start):
			v.Add("scheduledend", "is before scheduledstart for the modified instance of %s", m.Original)
			continue
		}
		s.modified[day] = true
		s.moved = append(s.moved, Occurrence{Date: m.Original, Start: m.Start.In(loc), End: m.End.In(loc), Exception: true})
	}
	if err := v.Err(); err != nil {
		return Series{}, err
	}
	slices.SortFunc(s.moved, func(a, b Occurrence) int {
		return cmp.Or(a.Start.Compare(b.Start), a.Date.Compare(b.Date))
	})
	return s, nil
}

// Pattern returns the series' pattern.
func (s Series) Pattern() Pattern { return s.p }

// Exceptions returns a copy of the series' exceptions.
func (s Series) Exceptions() Exceptions {
	return Exceptions{Deleted: slices.Clone(s.ex.Deleted), Modified: slices.Clone(s.ex.Modified)}
}

// Expand returns the series' instances whose Start is in w, in order of
// Start: each instance once, a modified one at its new times (where it now
// sorts), a deleted one not at all, the rest as the pattern has them. The
// sequence is lazy and can be iterated more than once: a series without an
// end yields instances until the caller stops or w.To or year 9999 is
// reached.
func (s Series) Expand(w Window) iter.Seq[Occurrence] {
	return func(yield func(Occurrence) bool) {
		if s.p.StartDate.IsZero() {
			return // the zero Series
		}
		moved := s.moved
		for len(moved) > 0 && w.before(moved[0].Start) {
			moved = moved[1:]
		}
		stopped := false
		e := newExpander(s.p)
		e.run(w, func(o Occurrence) bool {
			for len(moved) > 0 && moved[0].Start.Before(o.Start) {
				if !yield(moved[0]) {
					stopped = true
					return false
				}
				moved = moved[1:]
			}
			if s.deleted != nil || s.modified != nil {
				if d := o.Date.days(); s.deleted[d] || s.modified[d] {
					return true
				}
			}
			if !yield(o) {
				stopped = true
				return false
			}
			return true
		})
		for _, m := range moved {
			if stopped || w.past(m.Start) || !yield(m) {
				return
			}
		}
	}
}

// Expand checks p and returns its instances with Start in w, as
// NewSeries(p, Exceptions{}) and Series.Expand.
func (p Pattern) Expand(w Window) (iter.Seq[Occurrence], error) {
	s, err := NewSeries(p, Exceptions{})
	if err != nil {
		return nil, err
	}
	return s.Expand(w), nil
}

// Occurs reports whether the pattern has an instance on d, deleted or
// modified ones included.
func (s Series) Occurs(d Date) bool {
	if s.p.StartDate.IsZero() || !d.Valid() {
		return false
	}
	g := newGen(s.p)
	day, found := d.days(), false
	g.each(g.firstPeriod(day, 0), func(x int) bool {
		found = x == day
		return x < day
	})
	return found
}

// EffectiveStart returns the first instance of the pattern
// (effectivestartdate: the first match on or after the start date), at its
// pattern times whatever its exceptions; ok is false when the range holds
// none.
func (s Series) EffectiveStart() (first Occurrence, ok bool) {
	if s.p.StartDate.IsZero() {
		return Occurrence{}, false
	}
	e := newExpander(s.p)
	e.g.each(0, func(day int) bool {
		first, ok = e.occurrence(day), true
		return false
	})
	return first, ok
}

// EffectiveEnd returns the last instance of the pattern (effectiveenddate)
// at its pattern times; ok is false for a series without an end date or
// count, and for a range that holds no instance.
func (s Series) EffectiveEnd() (last Occurrence, ok bool) {
	if s.p.StartDate.IsZero() || s.p.EndType == NoEndDate {
		return Occurrence{}, false
	}
	g := newGen(s.p)
	k0 := 0
	if s.p.EndType == EndByDate {
		// Every active period after the first holds a match, so the last
		// one on or before the end date is in the end date's period or the
		// one before.
		k0 = g.firstPeriod(g.endDay, 1)
	}
	day := 0
	g.each(k0, func(d int) bool {
		day, ok = d, true
		return true
	})
	if !ok {
		return Occurrence{}, false
	}
	e := newExpander(s.p)
	return e.occurrence(day), true
}

// Count returns the number of instances with Start in w (exceptions
// applied). For a series without an end and an open w.To it counts up to
// year 9999; bound the window.
func (s Series) Count(w Window) int {
	n := 0
	for range s.Expand(w) {
		n++
	}
	return n
}

// Materialise returns the instances to create as rows (C6.3): those with
// Start in w, in order, at most max of them when max > 0 (Dynamics'
// RecurrenceExpansionSynchCreateMax). w.From is the past cut-off
// (PastExpansionWindow) and w.To the future one (FutureExpansionWindow):
// set w.To or max for a series without an end.
func (s Series) Materialise(w Window, max int) []Occurrence {
	var out []Occurrence
	for o := range s.Expand(w) {
		out = append(out, o)
		if max > 0 && len(out) == max {
			break
		}
	}
	return out
}

// After returns the next n plain instances whose Start is after t, the
// start of the last instance materialised (CreateInstance: append
// instances after the last one). Modified instances are left out: an
// instance can only have been modified once it exists. Deleted ones are
// left out too. Stop at the future cut-off with Expand(Window{From, To}) if
// needed.
func (s Series) After(t time.Time, n int) []Occurrence {
	if n <= 0 {
		return nil
	}
	var out []Occurrence
	for o := range s.Expand(Window{From: t.Add(time.Nanosecond)}) {
		if o.Exception {
			continue
		}
		out = append(out, o)
		if len(out) == n {
			break
		}
	}
	return out
}
