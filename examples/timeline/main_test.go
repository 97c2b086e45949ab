package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The story prints the same thing on every run (a manual clock): the
// timeline newest first across types and pages, and the month's
// meetings with the moved one at its new time, the cancelled one absent
// and 10:00 Berlin time kept across the change to summer time.
func TestTimelineStory(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	require.Equal(t, want, out.String())
	require.NotContains(t, out.String(), "Tue 24 Mar", "the cancelled meeting is not expanded")
	require.NotContains(t, out.String(), "Tue 17 Mar", "the moved meeting is at its new time only")
}

var want = strings.TrimLeft(`
== Northwind Traders, with Ada Lovelace, Grace Hopper and Alan Turing
== The week of 2 March
  series "Northwind weekly": every Tuesday 10:00 Europe/Berlin until 2026-06-30, 18 instances materialised, the first on 2026-03-03
  outbox: "Price list for Q2" to 2 recipient(s), cc 1: <1@mail.example>
  moved the meeting of 17 March to Wed 18 Mar 14:00 (now an exception, instance type Recurring Exception)
  cancelled the meeting of 24 March
  outbox: "New meeting dates" to 3 recipient(s), cc 0: <2@mail.example>
== Timeline of Northwind Traders, 2–15 March (newest first, 4 a page)
  page 1
    Thu 12 Mar 12:00  task        Open       Check the samples arrived
    Tue 10 Mar 11:00  meeting     Open       Northwind weekly
    Fri 06 Mar 17:45  phone call  Canceled   Alan about the invoice
    Thu 05 Mar 09:15  email       Completed  New meeting dates
  page 2
    Wed 04 Mar 16:30  task        Completed  Prepare the Q2 quote
    Tue 03 Mar 15:55  phone call  Completed  Grace about delivery dates
    Tue 03 Mar 11:05  meeting     Completed  Northwind weekly
    Mon 02 Mar 14:00  email       Completed  Price list for Q2
  page 3
    Mon 02 Mar 09:25  phone call  Completed  Kick-off call with Ada
== Meetings from 9 Mar to 8 Apr (expanded from the series)
  Tue 10 Mar 10:00–11:00 CET  09:00 UTC
  Wed 18 Mar 14:00–15:00 CET  13:00 UTC  (moved from 2026-03-17)
  Tue 31 Mar 10:00–11:00 CEST  08:00 UTC
  Tue 07 Apr 10:00–11:00 CEST  08:00 UTC
`, "\n")
