package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

// The files are the bytes SOURCE.md describes: its sums, sizes and row
// counts hold, CRLF line endings included (git must not convert them:
// see data/.gitattributes).
func TestDataMatchesSource(t *testing.T) {
	source, err := os.ReadFile("data/SOURCE.md")
	require.NoError(t, err)
	row := regexp.MustCompile(`(?m)^\| (\S+\.csv) \| (\d+) \| (\d+) \| ([0-9a-f]{64}) \|`)
	rows := row.FindAllStringSubmatch(string(source), -1)
	require.Len(t, rows, 5, "SOURCE.md lists five files")
	for _, r := range rows {
		t.Run(r[1], func(t *testing.T) {
			b, err := os.ReadFile("data/" + r[1])
			require.NoError(t, err)
			sum := sha256.Sum256(b)
			require.Equal(t, r[4], hex.EncodeToString(sum[:]), "sha256")
			require.Equal(t, r[3], strconv.Itoa(len(b)), "bytes")
			records, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			require.NoError(t, err)
			require.Equal(t, r[2], strconv.Itoa(len(records)-1), "data rows")
			require.Equal(t, bytes.Count(b, []byte("\n")), bytes.Count(b, []byte("\r\n")), "every line ends in CRLF")
		})
	}
}

func TestImport(t *testing.T) {
	want := expectedOutput(t)
	t.Run("sqlite", func(t *testing.T) { testRun(t, "", want) })
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("CRMKIT_POSTGRES_DSN")
		if dsn == "" {
			if os.Getenv("CRMKIT_REQUIRE_POSTGRES") == "1" {
				t.Fatal("CRMKIT_REQUIRE_POSTGRES=1 but CRMKIT_POSTGRES_DSN is not set")
			}
			t.Skip("set CRMKIT_POSTGRES_DSN=postgres://... to run the import on PostgreSQL (.ci/start-postgres starts one)")
		}
		testRun(t, dsn, want)
	})
}

func testRun(t *testing.T, dsn, want string) {
	var out bytes.Buffer
	start := time.Now()
	require.NoError(t, run(context.Background(), &out, dsn))
	t.Logf("ran in %s", time.Since(start).Round(time.Millisecond))
	require.Equal(t, want, out.String())
}

// expectedOutput is what the program must print, its figures computed
// from the files by plain Go: a wrong answer of the store fails the test.
func expectedOutput(t *testing.T) string {
	t.Helper()
	read := func(file string) [][]string {
		f, err := os.Open("data/" + file)
		require.NoError(t, err)
		defer f.Close()
		rows, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
		require.NoError(t, err)
		return rows[1:]
	}
	usd := func(d decimal.Decimal) string { return formatMoney(crm.NewMoney(d, "USD")) }

	// sales_teams: agent, manager, office.
	managerOf, officeOf := map[string]string{}, map[string]string{}
	var offices, managers []string
	for _, r := range read("sales_teams.csv") {
		managerOf[r[0]], officeOf[r[1]] = r[1], r[2]
		if !slices.Contains(offices, r[2]) {
			offices = append(offices, r[2])
		}
		if !slices.Contains(managers, r[1]) {
			managers = append(managers, r[1])
		}
	}
	// products: name (in file order: the order the store created them).
	var products []string
	for _, r := range read("products.csv") {
		products = append(products, r[0])
	}
	// accounts: name, sector, parent.
	sectorOf, parentOf := map[string]string{}, map[string]string{}
	for _, r := range read("accounts.csv") {
		parentOf[r[0]] = r[6]
		sector := strings.ToUpper(r[1][:1]) + r[1][1:]
		if sector == "Technolgy" {
			sector = "Technology"
		}
		sectorOf[r[0]] = sector
	}

	// The pipeline, tallied.
	type tally struct {
		deals    int64
		value    decimal.Decimal
		valued   bool
		accounts map[string]bool
		agents   map[string]bool
	}
	newTally := func() *tally { return &tally{accounts: map[string]bool{}, agents: map[string]bool{}} }
	add := func(m map[string]*tally, key string, deal []string) {
		if m[key] == nil {
			m[key] = newTally()
		}
		tl := m[key]
		tl.deals++
		if deal[7] != "" {
			tl.value, tl.valued = tl.value.Add(decimal.RequireFromString(deal[7])), true
		}
		if deal[3] != "" {
			tl.accounts[deal[3]] = true
		}
		tl.agents[deal[1]] = true
	}
	stages, total, byOffice, byAgent, byMonth, bySector := map[string]*tally{}, map[string]*tally{}, map[string]*tally{}, map[string]*tally{}, map[string]*tally{}, map[string]*tally{}
	won, closed := map[string]int64{}, map[string]int64{}
	created := map[int]int{}
	withDeals := map[string]bool{}
	premium, wonLately := map[string]bool{}, map[string]bool{}
	days := map[string][]int64{} // engage to close of won deals, by office
	slow, early := 0, 0
	deals := read("sales_pipeline.csv")
	for _, d := range deals {
		stage, product := d[4], d[2]
		if product == "GTXPro" {
			product = "GTX Pro"
		}
		withDeals[d[1]] = true
		add(stages, stage, d)
		add(total, "", d)
		if d[5] != "" {
			created[must(time.Parse(time.DateOnly, d[5])).Year()]++
		} else {
			created[2018]++ // the import's year
		}
		if stage == "Won" || stage == "Lost" {
			closed[product]++
		}
		if d[5] != "" && d[6] != "" && d[6] < d[5] {
			early++
		}
		if stage != "Won" {
			continue
		}
		won[product]++
		if product == "GTK 500" {
			premium[d[3]] = true
		}
		if d[6] >= "2017-12-01" {
			wonLately[d[3]] = true
		}
		cycle := int64(must(time.Parse(time.DateOnly, d[6])).Sub(must(time.Parse(time.DateOnly, d[5]))).Hours() / 24)
		days[officeOf[managerOf[d[1]]]] = append(days[officeOf[managerOf[d[1]]]], cycle)
		if cycle > 90 {
			slow++
		}
		add(byOffice, officeOf[managerOf[d[1]]], d)
		add(byAgent, d[1], d)
		add(byMonth, d[6][:7], d)
		add(bySector, sectorOf[d[3]], d)
	}
	byRevenue := func(m map[string]*tally) []string {
		keys := slices.Collect(maps.Keys(m))
		slices.SortFunc(keys, func(a, b string) int { return m[b].value.Cmp(m[a].value) })
		return keys
	}

	var b strings.Builder
	say := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	say("== Load")
	say(`  product "GTXPro" (1480 deals) read as "GTX Pro", its name in products.csv`)
	say("  1425 open deals name no account: loaded without one")
	say(`  sector "technolgy" (12 accounts) read as the option Technology`)
	say(`  office location "Philipines" (1 account) corrected to Philippines`)
	say("  5 agents have no deals: loaded all the same")
	say("  revenue is published in millions of USD: stored in USD")
	sizes := []struct {
		label string
		n     int
	}{{"offices", len(offices)}, {"managers", len(managers)}, {"agents", len(managerOf)}, {"products", len(products)},
		{"accounts", len(sectorOf)}, {"opportunities", len(deals)}}
	for run := 1; run <= 2; run++ {
		say("load %d, one transaction:", run)
		for _, s := range sizes {
			if run == 1 {
				say("  %-14s %5d created, %5d changed, %5d already as loaded", s.label, s.n, 0, 0)
			} else {
				say("  %-14s %5d created, %5d changed, %5d already as loaded", s.label, 0, 0, s.n)
			}
		}
	}
	var holds []string
	for _, s := range sizes {
		holds = append(holds, fmt.Sprintf("%d %s", s.n, s.label))
	}
	say("the store holds %s", strings.Join(holds, ", "))
	var idle []string
	for a := range managerOf {
		if !withDeals[a] {
			idle = append(idle, a)
		}
	}
	slices.Sort(idle)
	say("agents without deals: %s", strings.Join(idle, ", "))
	var years []string
	for _, y := range slices.Sorted(maps.Keys(created)) {
		years = append(years, fmt.Sprintf("%d in %d", created[y], y))
	}
	say("opportunities by creation year (the engage date, else the import): %s", strings.Join(years, ", "))
	require.Equal(t, "Won", deals[0][4])
	say(`deal %s, imported won, refuses an update: invalid transition: mv_opportunity in state "Won" cannot "update"`, deals[0][0])

	say("== Pipeline by stage")
	say("%s", stageLine("stage", "deals", "accounts", "close value"))
	for _, stage := range []string{"Prospecting", "Engaging", "Won", "Lost", ""} {
		tl, label := stages[stage], stage
		if stage == "" {
			tl, label = total[""], "total"
		}
		value := "-"
		if tl.valued {
			value = usd(tl.value)
		}
		say("%s", stageLine(label, tl.deals, len(tl.accounts), value))
	}

	say("== Won revenue by regional office (deal → agent → manager → office)")
	for _, o := range byRevenue(byOffice) {
		tl := byOffice[o]
		average := crm.RoundHalfAwayFromZero(tl.value.DivRound(decimal.NewFromInt(tl.deals), 10), 2)
		say("%s", officeLine(o, usd(tl.value), tl.deals, int64(len(tl.agents)), usd(average)))
	}

	say("== Top 5 agents by won revenue")
	for i, a := range byRevenue(byAgent)[:5] {
		say("%s", agentLine(i+1, a, managerOf[a], usd(byAgent[a].value), byAgent[a].deals))
	}

	say("== Won revenue by close month")
	for _, m := range slices.Sorted(maps.Keys(byMonth)) {
		say("%s", monthLine(m, usd(byMonth[m].value), byMonth[m].deals))
	}

	say("== Win rate by product (closed deals)")
	slices.SortStableFunc(products, func(a, b string) int { return cmp.Compare(won[b]*closed[a], won[a]*closed[b]) })
	for _, p := range products {
		say("%s", rateLine(p, won[p], closed[p]))
	}

	say("== Sectors with won revenue of 1,000,000.00 USD or more")
	for _, s := range byRevenue(bySector) {
		if tl := bySector[s]; tl.value.GreaterThanOrEqual(decimal.NewFromInt(1_000_000)) {
			say("%s", sectorLine(s, usd(tl.value), tl.deals, int64(len(tl.accounts))))
		}
	}

	// Accounts in name order, as the store orders text: ignoring case.
	accounts := slices.SortedFunc(maps.Keys(sectorOf), func(a, b string) int {
		return cmp.Compare(strings.ToLower(a), strings.ToLower(b))
	})
	say("== Accounts, by the deals that point at them")
	var gtk, quiet []string
	for _, a := range accounts {
		if premium[a] {
			gtk = append(gtk, a)
		}
		if !wonLately[a] {
			quiet = append(quiet, a)
		}
	}
	say("%s", accountsLine("won a GTK 500 deal", gtk))
	say("%s", accountsLine("no win since 2017-12-01", quiet))

	say("== Won revenue of parent companies with their subsidiaries")
	// groupOf is the parent company at the top of an account's group.
	groupOf := func(a string) string {
		for parentOf[a] != "" {
			a = parentOf[a]
		}
		return a
	}
	byGroup, subsidiaries := map[string]*tally{}, map[string]int64{}
	for _, a := range accounts {
		if parentOf[a] != "" {
			subsidiaries[groupOf(a)]++
		}
	}
	for _, d := range deals {
		if d[4] == "Won" && subsidiaries[groupOf(d[3])] > 0 {
			add(byGroup, groupOf(d[3]), d)
		}
	}
	for _, a := range accounts {
		if subsidiaries[a] > 0 {
			say("%s", groupLine(a, subsidiaries[a], usd(byGroup[a].value), byGroup[a].deals))
		}
	}

	say("== Days from engage to close of won deals, by regional office")
	type cycleStats struct {
		office                  string
		average                 decimal.Decimal
		fastest, slowest, deals int64
	}
	var cycles []cycleStats
	for o, ds := range days {
		var sum int64
		for _, d := range ds {
			sum += d
		}
		cycles = append(cycles, cycleStats{o, decimal.NewFromInt(sum).DivRound(decimal.NewFromInt(int64(len(ds))), crm.AvgPlaces),
			slices.Min(ds), slices.Max(ds), int64(len(ds))})
	}
	slices.SortFunc(cycles, func(a, b cycleStats) int { return b.average.Cmp(a.average) })
	var cycleLines []string
	for _, c := range cycles {
		cycleLines = append(cycleLines, cycleLine(c.office, c.average, c.fastest, c.slowest, c.deals))
	}
	for _, l := range cycleLines {
		say("%s", l)
	}
	say("  won deals that took more than 90 days: %d", slow)
	say("  deals closed before they were engaged: %d", early)
	say("== The office report, saved as JSON, loaded back and run again")
	say(`{"entity":"mv_opportunity","where":{"field":"statecode","op":"eq","values":[1]},` +
		`"groupBy":[{"alias":"office","path":[{"lookup":"mv_agentid"},{"lookup":"mv_managerid"}],"field":"mv_officeid","label":true}],` +
		`"measures":[{"alias":"days","func":"avg","diff":{"unit":"days","from":"mv_engagedate","to":"mv_closedate"}},` +
		`{"alias":"fastest","func":"min","diff":{"unit":"days","from":"mv_engagedate","to":"mv_closedate"}},` +
		`{"alias":"slowest","func":"max","diff":{"unit":"days","from":"mv_engagedate","to":"mv_closedate"}},` +
		`{"alias":"deals","func":"count"}],"orderBy":[{"field":"days","desc":true}]}`)
	for _, l := range cycleLines {
		say("%s", l)
	}
	return b.String()
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
