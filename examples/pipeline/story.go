package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
)

// The host's custom fields on leads, with its prefix xe_: what X
// Education's export says that Dynamics' lead has no field for.
const (
	fieldOrigin   = "xe_leadorigin" // Lead Origin, an option set
	fieldChannel  = "xe_channel"    // Lead Source as the export names it
	fieldTags     = "xe_tags"       // the sales team's note
	fieldQuality  = "xe_quality"    // the sales team's rating
	fieldProspect = "xe_prospectid" // the export's Prospect ID
)

var origins = []string{"Landing Page Submission", "API", "Lead Add Form", "Lead Import", "Quick Add Form"}

func leadFields() []crm.Field {
	opts := make([]crm.Option, len(origins))
	for i, o := range origins {
		opts[i] = crm.Option{Value: int32(i + 1), Label: o}
	}
	return []crm.Field{
		{Name: fieldOrigin, Label: "Lead Origin", Type: crm.TypeChoice, Options: opts},
		{Name: fieldChannel, Label: "Channel", Type: crm.TypeText, MaxLength: 50},
		{Name: fieldTags, Label: "Sales Note", Type: crm.TypeText, MaxLength: 100},
		{Name: fieldQuality, Label: "Lead Quality", Type: crm.TypeText, MaxLength: 30},
		{Name: fieldProspect, Label: "Prospect ID", Type: crm.TypeText, MaxLength: 36},
	}
}

// firstWeek is the Monday the first leads arrive.
var firstWeek = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

const (
	arrivalWeeks = 26 // leads arrive over half a year
	weeks        = 32 // and the deals of the last ones get six weeks more
)

// counsellor is a user of X Education's sales team.
type counsellor struct {
	name string
	id   crm.ID
}

var counsellors = []counsellor{
	{"Asha Rao", uuid.MustParse("0190f7a0-0000-7000-8000-000000000001")},
	{"Rohan Mehta", uuid.MustParse("0190f7a0-0000-7000-8000-000000000002")},
	{"Meera Iyer", uuid.MustParse("0190f7a0-0000-7000-8000-000000000003")},
	{"Vikram Shah", uuid.MustParse("0190f7a0-0000-7000-8000-000000000004")},
}

// programme is what a lead enquires about.
type programme struct {
	name  string
	fee   crm.Money
	weeks int // from qualification to the expected close
}

var programmes = []programme{
	{"Certificate in Data Analytics", crm.MustMoney("120000.00 INR"), 6},
	{"PG Diploma in Data Science", crm.MustMoney("250000.00 INR"), 10},
	{"Master of Science in Data Science", crm.MustMoney("400000.00 INR"), 14},
}

// plan is what happens to a converted lead's deal.
type plan int

const (
	stayDevelop plan = iota // no news: it stays in Develop
	waitPropose             // "will revert": proposed, waiting
	win                     // proposed, closing, won
	loseToEINS              // proposed, lost to EINS
	beatEINS                // proposed with EINS bidding too, won
)

// deal is one lead as the story follows it.
type deal struct {
	lead
	arrives int // the week it arrives
	owner   counsellor
	id      crm.ID // the lead's
	version int64
	plan    plan
	opp     sales.Opportunity // once qualified
}

// schedule returns the week of each step of the deal: qualified or
// disqualified the week after it arrives, proposed one or two weeks
// later, decided (moved to Close, or lost) one or two weeks after that,
// won a week or two later still; the lead number picks, so deals take
// different times in each stage.
func (d *deal) schedule() [4]int {
	qualify := d.arrives + 1
	propose := qualify + 1 + d.Number%2
	decide := propose + 1 + d.Number/2%2
	return [4]int{qualify, propose, decide, decide + 1 + d.Number/4%2}
}

// story holds what every step needs.
type story struct {
	ctx         context.Context
	out         io.Writer
	clock       *crm.ManualClock
	st          *storage.Store
	leads       *sales.Leads
	opps        *sales.Opportunities
	procs       *sales.Processes
	competitors *sales.Competitors
	pipeline    *sales.Pipeline
	eins        sales.Competitor
	deals       []*deal
}

func (s *story) say(format string, args ...any) { fmt.Fprintf(s.out, format+"\n", args...) }

// as returns the story's context acting as a counsellor: what they
// create, they own.
func (s *story) as(c counsellor) context.Context { return crm.WithCaller(s.ctx, c.id) }

// at sets the clock to a day of week w (0 Monday) at hh:00 UTC.
func (s *story) at(w, day, hh int) {
	s.clock.Set(firstWeek.AddDate(0, 0, 7*w+day).Add(time.Duration(hh-9) * time.Hour))
}

func (s *story) run(leads []lead) error {
	eins, err := s.competitors.Create(s.ctx, sales.Competitor{Name: "EINS",
		Overview: "An online education company bidding for the same students."})
	if err != nil {
		return err
	}
	s.eins = eins
	s.deals = make([]*deal, len(leads))
	for i, l := range leads {
		d := &deal{lead: l, arrives: i * arrivalWeeks / len(leads), owner: counsellors[i%len(counsellors)]}
		switch {
		case l.Tags == "Closed by Horizzon" || (l.Tags != "Will revert after reading the email" && l.Quality == "High in Relevance"):
			d.plan = win
		case l.Tags == "in touch with EINS":
			d.plan = beatEINS
		case l.Tags == "Lost to EINS":
			d.plan = loseToEINS
		case l.Tags == "Will revert after reading the email":
			d.plan = waitPropose
		}
		s.deals[i] = d
	}
	var qualified, disqualified, won, lost int
	for w := range weeks {
		// The deals move on from Monday to Thursday; on Friday evening
		// the week's leads are imported, with the times they arrived.
		// Friday evening, the week's leads are imported with the times
		// they arrived.
		// Each step of a deal falls on its own day of a later week (see
		// schedule), and each counsellor works through the day, hour by
		// hour: qualifications on Monday, proposals on Tuesday, decisions
		// on Wednesday, wins on Thursday.
		steps := []func(*deal) (int, int, error){s.triage, s.propose, s.decide, s.close}
		for day, step := range steps {
			for hour := range 8 {
				s.at(w, day, 9+hour)
				for _, d := range s.deals {
					if d.schedule()[day] != w || (d.Number*7+day*3)%8 != hour {
						continue
					}
					a, b, err := step(d)
					if err != nil {
						return fmt.Errorf("week %d: lead %d: %w", w+1, d.Number, err)
					}
					switch day {
					case 0:
						qualified, disqualified = qualified+a, disqualified+b
					case 2:
						lost += b
					case 3:
						won += a
					}
				}
			}
		}
		s.at(w, 4, 18)
		if err := s.arrive(w); err != nil {
			return fmt.Errorf("week %d: %w", w+1, err)
		}
	}
	s.say("== %d weeks: %d leads qualified, %d disqualified; %d deals won, %d lost to EINS",
		weeks, qualified, disqualified, won, lost)
	return nil
}

// arrive imports the leads of week w in one call, each created when it
// arrived and owned by its counsellor.
func (s *story) arrive(w int) error {
	var recs []crm.Record
	var mine []*deal
	for i, d := range s.deals {
		if d.arrives != w {
			continue
		}
		p := programmes[d.Number%len(programmes)]
		created := firstWeek.AddDate(0, 0, 7*w+i%5).Add(time.Duration(i%8) * time.Hour)
		l := sales.Lead{
			Subject: p.name + " enquiry", LastName: fmt.Sprintf("Prospect %d", d.Number),
			EstimatedAmount:    &p.fee,
			EstimatedCloseDate: created.Truncate(24*time.Hour).AddDate(0, 0, 7*(p.weeks+1)),
			Source:             leadSource(d.Source), Rating: rating(d.Quality),
			DoNotEmail: d.DoNotEmail, DoNotPhone: d.DoNotCall,
			Address: sales.Address{City: d.City, Country: d.Country},
			Extra: crm.Fields{fieldChannel: text(d.Source), fieldTags: text(d.Tags), fieldQuality: text(d.Quality),
				fieldProspect: text(d.ProspectID), fieldOrigin: origin(d.Origin)},
		}
		rec := sales.LeadCodec().Encode(l)
		rec.Owner = crm.Ref{Entity: crm.UserEntity, ID: d.owner.id}
		rec.CreatedOn = created
		recs = append(recs, rec)
		mine = append(mine, d)
	}
	if len(recs) == 0 {
		return nil
	}
	got, err := s.st.Import(s.ctx, recs, storage.ImportOptions{})
	if err != nil {
		return err
	}
	for i, g := range got {
		mine[i].id, mine[i].version = g.Record.ID, g.Record.Version
	}
	return nil
}

// triage qualifies a converted lead into a contact and an opportunity,
// owned by its counsellor, and disqualifies an unconverted one the sales
// team gave up on. It returns 1, 0 for a qualification and 0, 1 for a
// disqualification.
func (s *story) triage(d *deal) (qualified, disqualified int, err error) {
	ctx := s.as(d.owner)
	if d.Converted {
		res, err := s.leads.Qualify(ctx, d.id, d.version, sales.QualifyOptions{CreateContact: true, CreateOpportunity: true})
		if err != nil {
			return 0, 0, err
		}
		d.opp, err = s.opps.Get(ctx, res.Opportunity.ID)
		return 1, 0, err
	}
	status := giveUp(d.Tags)
	if status == 0 {
		return 0, 0, nil
	}
	_, err = s.leads.Disqualify(ctx, d.id, d.version, status)
	return 0, 1, err
}

// propose moves a deal that is going somewhere to Propose.
func (s *story) propose(d *deal) (int, int, error) {
	if !d.Converted || d.plan == stayDevelop {
		return 0, 0, nil
	}
	ctx := s.as(d.owner)
	var err error
	if d.opp, err = s.procs.MoveStage(ctx, sales.StageMove{Opportunity: d.opp.ID, Version: d.opp.Version, Stage: sales.SalesStagePropose}); err != nil {
		return 0, 0, err
	}
	if d.plan == beatEINS {
		err = s.opps.AddCompetitor(ctx, d.opp.ID, s.eins.ID)
	}
	return 0, 0, err
}

// decide moves a deal about to be won to Close, and loses a deal to
// EINS. It returns 0, 1 for a loss.
func (s *story) decide(d *deal) (int, int, error) {
	ctx := s.as(d.owner)
	var err error
	switch {
	case !d.Converted:
	case d.plan == win || d.plan == beatEINS:
		d.opp, err = s.procs.MoveStage(ctx, sales.StageMove{Opportunity: d.opp.ID, Version: d.opp.Version, Stage: sales.SalesStageClose})
	case d.plan == loseToEINS:
		d.opp, _, err = s.opps.Lose(ctx, d.opp.ID, d.opp.Version, sales.LoseOptions{
			Status: sales.OpportunityStatusOutSold, Competitor: s.eins.ID, Description: "Enrolled with EINS"})
		return 0, 1, err
	}
	return 0, 0, err
}

// close wins a deal in Close. It returns 1, 0 for a win.
func (s *story) close(d *deal) (int, int, error) {
	if !d.Converted || (d.plan != win && d.plan != beatEINS) {
		return 0, 0, nil
	}
	var err error
	d.opp, _, err = s.opps.Win(s.as(d.owner), d.opp.ID, d.opp.Version, sales.WinOptions{Description: "Enrolled"})
	return 1, 0, err
}

// giveUp returns the status reason a lead is disqualified with, from the
// sales team's note; 0 keeps it open.
func giveUp(tags string) sales.LeadStatus {
	switch tags {
	case "invalid number", "wrong number given", "number not provided", "switched off":
		return sales.LeadStatusCannotContact
	case "Already a student", "Interested in other courses", "Not doing further education",
		"Diploma holder (Not Eligible)", "Interested  in full time MBA", "University not recognized":
		return sales.LeadStatusNoLongerInterested
	case "Lost to Others":
		return sales.LeadStatusLost
	}
	return 0
}

// leadSource maps the export's channels onto Dynamics' lead sources.
func leadSource(channel string) sales.LeadSource {
	switch channel {
	case "":
		return 0
	case "Reference":
		return sales.LeadSourceEmployeeReferral
	case "Referral Sites", "Welingak Website":
		return sales.LeadSourceExternalReferral
	case "Facebook", "Social Media", "Pay per Click Ads", "youtubechannel":
		return sales.LeadSourceAdvertisement
	case "Press_Release":
		return sales.LeadSourcePublicRelations
	case "Google", "google", "bing", "Organic Search", "Direct Traffic", "Olark Chat", "Live Chat",
		"blog", "WeLearn", "welearnblog_Home", "Click2call":
		return sales.LeadSourceWeb
	}
	return sales.LeadSourceOther
}

// rating maps the sales team's quality onto Dynamics' rating.
func rating(quality string) sales.Rating {
	switch quality {
	case "High in Relevance":
		return sales.RatingHot
	case "Might be":
		return sales.RatingWarm
	case "Not Sure", "Low in Relevance", "Worst":
		return sales.RatingCold
	}
	return 0
}

func origin(o string) any {
	for i, v := range origins {
		if v == o {
			return int32(i + 1)
		}
	}
	return nil
}

// text is a text field's value: "" is null.
func text(s string) any {
	if s == "" {
		return nil
	}
	return s
}
