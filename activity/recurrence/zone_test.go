package recurrence_test

import (
	"testing"
	"time"

	"github.com/crmkit/crmkit/activity/recurrence"
)

// loadBerlin loads Europe/Berlin: the package embeds the zone database
// (time/tzdata), so this works on a machine without one. To see it, hide
// the system's database (as root, in a private mount namespace):
//
//	go test -c -o /tmp/recurrence.test ./activity/recurrence
//	unshare -m sh -c 'mount -t tmpfs none /usr/share/zoneinfo &&
//	    ZONEINFO=/nonexistent /tmp/recurrence.test -test.run "Zone|Berlin|Nonexistent"'
func loadBerlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("load Europe/Berlin: %v", err)
	}
	return loc
}

func TestEmbeddedZoneDatabase(t *testing.T) {
	// ZONEINFO points LoadLocation at a database that does not exist, so
	// the answer comes from the system's files or, where there are none
	// (see loadBerlin for how to hide them), from the embedded copy.
	t.Setenv("ZONEINFO", t.TempDir()+"/no-such-zoneinfo.zip")
	loc := loadBerlin(t)
	if _, off := time.Date(2024, 7, 1, 12, 0, 0, 0, loc).Zone(); off != 2*3600 {
		t.Fatalf("Berlin in July is UTC%+d, want +2h", off/3600)
	}
}

// TestBerlinWeeklyAcrossDST: a weekly 09:00 series in Europe/Berlin stays
// at 09:00 local across both 2024 changes (March 31 and October 27); its
// instants move by an hour in UTC.
func TestBerlinWeeklyAcrossDST(t *testing.T) {
	berlin := loadBerlin(t)
	p := recurrence.WeeklyEvery(d(2024, 3, 24), 1, recurrence.Sunday).At(recurrence.At(9, 0), 60).In(berlin)
	w := recurrence.Window{To: time.Date(2024, 11, 4, 0, 0, 0, 0, time.UTC)}
	seq, err := p.Expand(w)
	if err != nil {
		t.Fatal(err)
	}
	byDate := map[string]recurrence.Occurrence{}
	n := 0
	for o := range seq {
		n++
		byDate[o.Date.String()] = o
		local := o.Start.In(berlin)
		if local.Hour() != 9 || local.Minute() != 0 || recurrence.DateOf(local) != o.Date {
			t.Errorf("%s starts at %v local, want 09:00", o.Date, local)
		}
		if o.End.Sub(o.Start) != time.Hour {
			t.Errorf("%s lasts %v", o.Date, o.End.Sub(o.Start))
		}
	}
	if n != 33 { // Sundays from 2024-03-24 to 2024-11-03
		t.Errorf("%d instances, want 33", n)
	}
	utc := map[string]string{
		"2024-03-24": "08:00", // CET, before the spring change
		"2024-03-31": "07:00", // the change happened at 02:00 that morning: CEST
		"2024-10-20": "07:00",
		"2024-10-27": "08:00", // the autumn change at 03:00 that morning: CET
		"2024-11-03": "08:00",
	}
	for date, want := range utc {
		if got := byDate[date].Start.UTC().Format("15:04"); got != want {
			t.Errorf("%s: 09:00 Berlin is %s UTC, want %s", date, got, want)
		}
	}
}

// TestNonexistentAndAmbiguousTimes pins the package's rule (RFC 5545
// 3.3.5): a local time in the spring-forward gap moves forward by the gap;
// one in the fall-back overlap is the first of the two. It also records
// what time.Date does, to show why the package does not rely on it.
func TestNonexistentAndAmbiguousTimes(t *testing.T) {
	berlin := loadBerlin(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		loc      *time.Location
		date     recurrence.Date
		at       recurrence.TimeOfDay
		wantUTC  string
		timeDate string // what time.Date returns for the same wall time
	}{
		{"Berlin gap: 02:30 is 03:30 CEST", berlin, d(2024, 3, 31), recurrence.At(2, 30), "2024-03-31T01:30:00Z", "2024-03-31T01:30:00Z"},
		{"Berlin overlap: 02:30 is the first, CEST", berlin, d(2024, 10, 27), recurrence.At(2, 30), "2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z"},
		{"New York gap: 02:30 is 03:30 EDT", ny, d(2024, 3, 10), recurrence.At(2, 30), "2024-03-10T07:30:00Z", "2024-03-10T06:30:00Z"},
		{"New York overlap: 01:30 is the first, EDT", ny, d(2024, 11, 3), recurrence.At(1, 30), "2024-11-03T05:30:00Z", "2024-11-03T05:30:00Z"},
		{"ordinary day", berlin, d(2024, 7, 1), recurrence.At(9, 0), "2024-07-01T07:00:00Z", "2024-07-01T07:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.date.In(tt.at, tt.loc).UTC().Format(time.RFC3339); got != tt.wantUTC {
				t.Errorf("got %s, want %s", got, tt.wantUTC)
			}
			td := time.Date(tt.date.Year, tt.date.Month, tt.date.Day, tt.at.Hour(), tt.at.Minute(), 0, 0, tt.loc)
			if got := td.UTC().Format(time.RFC3339); got != tt.timeDate {
				t.Errorf("time.Date gives %s, not %s: the description of time.Date in zone.go is out of date", got, tt.timeDate)
			}
			// A daily series at that time gives the same instant.
			start := tt.date.AddDays(-3)
			seq, err := recurrence.DailyEvery(start, 1).At(tt.at, 0).In(tt.loc).Expand(recurrence.Window{})
			if err != nil {
				t.Fatal(err)
			}
			for o := range seq {
				if o.Date == tt.date {
					if got := o.Start.UTC().Format(time.RFC3339); got != tt.wantUTC {
						t.Errorf("series instance at %s, want %s", got, tt.wantUTC)
					}
					break
				}
			}
		})
	}
}
