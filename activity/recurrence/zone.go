package recurrence

import (
	"math"
	"time"

	// A series lives in an IANA zone (Europe/Berlin) and its instances are
	// wall-clock times there, so time.LoadLocation must work wherever crmkit
	// is embedded, including minimal containers without /usr/share/zoneinfo.
	// The package time/tzdata is the standard library's fallback copy of the
	// database (about 450 KB in the binary): LoadLocation still prefers the
	// system's files and uses the embedded copy only when they are missing.
	// It registers nothing a host could want to replace, unlike a driver.
	_ "time/tzdata"
)

// zoneCache turns a local date and time of day into an instant in loc by
// the package's rule (RFC 5545 section 3.3.5):
//
//   - a local time that does not exist (the spring-forward gap) is read
//     with the UTC offset in force before the gap, so it moves forward by
//     the gap's length: 02:30 on 2024-03-31 in Europe/Berlin is 03:30 CEST;
//   - a local time that exists twice (the fall-back overlap) is the first
//     of the two: 02:30 on 2024-10-27 in Europe/Berlin is 02:30 CEST
//     (00:30 UTC), not 02:30 CET.
//
// time.Date alone gives no stable answer: its doc says it does not
// guarantee which zone's offset it uses, and in practice (Go 1.26) it
// moves a gap time forward and picks the later instant of an overlap east
// of Greenwich (Berlin), but moves a gap time back and picks the earlier
// instant west of it (New York). Hence this rule;
// TestNonexistentAndAmbiguousTimes pins both. Zones that change their
// offset twice within three days are assumed not to exist.
//
// The cache remembers the offset of the last zone period it resolved, so
// that a series expands with integer arithmetic until it nears the next
// transition. The zero value is ready; it is not safe for concurrent use
// (each expansion has its own).
type zoneCache struct {
	loc    *time.Location
	off    int64 // seconds east of UTC within [lo, hi)
	lo, hi int64 // unix seconds where off holds with a 36h margin
}

// transitionMargin is more than the largest gap between a wall time and its
// instant (UTC-12 to UTC+14) plus the largest offset change, so any instant
// this far inside a zone period has exactly one wall-time reading.
const transitionMargin = 36 * 3600

// instant returns the instant of local day number day at minute min of the
// day in loc.
func (z *zoneCache) instant(day, min int, loc *time.Location) time.Time {
	wall := int64(day)*86400 + int64(min)*60 // the wall time read as if UTC
	if z.loc == loc {
		if u := wall - z.off; u >= z.lo && u < z.hi {
			return time.Unix(u, 0).In(loc)
		}
	}
	t := time.Unix(resolve(wall, loc), 0).In(loc)
	z.loc = loc
	_, off := t.Zone()
	z.off = int64(off)
	z.lo, z.hi = math.MinInt64, math.MaxInt64
	start, end := t.ZoneBounds()
	if !start.IsZero() {
		z.lo = start.Unix() + transitionMargin
	}
	if !end.IsZero() {
		z.hi = end.Unix() - transitionMargin
	}
	return t
}

// resolve returns the unix second of the wall time wall (seconds, read as
// if UTC) in loc, by the rule in zoneCache's doc.
func resolve(wall int64, loc *time.Location) int64 {
	before := offsetAt(wall-transitionMargin, loc)
	after := offsetAt(wall+transitionMargin, loc)
	u1, u2 := wall-before, wall-after
	ok1 := offsetAt(u1, loc) == before
	ok2 := offsetAt(u2, loc) == after
	switch {
	case ok1 && ok2:
		return min(u1, u2) // the same instant, or the first of two
	case ok2:
		return u2
	default:
		return u1 // exists only with the earlier offset, or not at all (a gap)
	}
}

func offsetAt(unix int64, loc *time.Location) int64 {
	_, off := time.Unix(unix, 0).In(loc).Zone()
	return int64(off)
}
