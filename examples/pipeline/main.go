// Command pipeline runs half a year of an education seller's sales
// pipeline through crmkit: leads arrive, counsellors qualify or disqualify
// them, deals move through the sales process, are won or lost to a
// competitor, and at the end the store reports the pipeline.
//
//	go run ./examples/pipeline                       # a generated pipeline
//	go run ./examples/pipeline -leads path/to/Leads.csv
//
// The leads are X Education's (an online-course seller; 9,240 leads of the
// "Lead Scoring Case Study", see ../shared/data/x-education-leads). No
// licence is stated in any copy of that file, so it is not copied into
// this project: with -leads the program imports the file itself, and
// without it, it generates 9,240 leads with the file's shape (its origins,
// channels, notes and ratings in the file's proportions, counted from it;
// leads.go) from a fixed seed, so that a fresh clone runs the same story
// every time.
//
// The export has no names, dates or amounts. The program makes them up,
// the same way on every run: a lead is "Prospect <lead number>"; leads
// arrive over 26 weeks from 5 January 2026, in the file's order; each
// enquires about one of three programmes, by lead number (a certificate
// at 120,000.00 INR, a diploma at 250,000.00 INR, a master's at
// 400,000.00 INR); four counsellors own the leads in turn. What happens
// to a lead follows the file's own columns:
//
//   - Converted leads are qualified, a week after they arrive, into a
//     contact and an opportunity (no account: the leads are people, with
//     no company name), which enters the sales process in Develop (the
//     lead's days in Qualify are kept). The sales team's note (Tags)
//     decides the deal, whose steps fall one or two weeks apart:
//     "Closed by Horizzon" deals move to Propose, then Close, and are
//     won; "in touch with EINS" deals are proposed with the competitor
//     EINS bidding too, and won; "Lost to EINS" deals are proposed and
//     lost, Out-Sold, to EINS; "Will revert after reading the email"
//     deals wait in Propose; the others are won when the lead's quality
//     is "High in Relevance" and stay in Develop otherwise.
//   - Unconverted leads with a wrong or missing number are disqualified as
//     Cannot Contact; those not interested (already a student, another
//     course, not eligible, ...) as No Longer Interested; "Lost to
//     Others" as Lost. The rest stay open.
//
// The lead's origin (Lead Origin), channel (Lead Source), note and
// quality are custom fields of the lead (xe_*); Lead Source also maps to
// Dynamics' lead source option. The report reaches them from the
// opportunity through its originating lead, in the store's aggregates.
//
// It runs on an embedded SQLite file in a temporary directory, on a manual
// clock, and exits non-zero if anything unexpected happens.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/sqlstore/sqlite"
)

func main() {
	file := flag.String("leads", "", "X Education's Leads.csv to import (default: generate leads with its shape)")
	n := flag.Int("n", 9240, "how many leads to generate when -leads is not given")
	flag.Parse()
	leads, from := generateLeads(*n, seed), fmt.Sprintf("%d leads generated with the shape of X Education's export", *n)
	if *file != "" {
		f, err := os.Open(*file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pipeline:", err)
			os.Exit(1)
		}
		leads, err = readLeads(f)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "pipeline:", err)
			os.Exit(1)
		}
		from = fmt.Sprintf("%d leads read from %s", len(leads), filepath.Base(*file))
	}
	if err := run(context.Background(), os.Stdout, leads, from); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

// seed makes the generated leads the same on every run.
const seed = 660737

func run(ctx context.Context, out io.Writer, leads []lead, from string) (err error) {
	dir, err := os.MkdirTemp("", "crmkit-pipeline-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()

	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		return err
	}
	if err := reg.AddFields(sales.LeadEntity, leadFields()...); err != nil {
		return err
	}
	d, err := sqlite.Open(ctx, filepath.Join(dir, "crm.db"), reg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, d.Close()) }()
	clock := crm.NewManualClock(firstWeek)
	st := storage.New(d, reg, storage.WithClock(clock))
	procs, err := sales.NewProcesses(st, sales.DefaultProcess())
	if err != nil {
		return err
	}
	s := &story{ctx: crm.AsSystem(ctx), out: out, clock: clock, st: st,
		leads: sales.NewLeads(st), opps: sales.NewOpportunities(st), procs: procs,
		competitors: sales.NewCompetitors(st), pipeline: sales.NewPipeline(st)}
	s.say("== %s", from)
	if err := s.run(leads); err != nil {
		return err
	}
	return s.report()
}
