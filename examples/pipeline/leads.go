package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
)

// lead is one row of X Education's lead export, as the story uses it.
// The export has no names, companies, dates or amounts: the story makes
// those up, deterministically, from the lead's number (see main.go).
type lead struct {
	ProspectID   string // the source system's UUID: the lead's alternate key
	Number       int    // the source system's lead number
	Origin       string // Lead Origin: how the lead entered (form, API, import)
	Source       string // Lead Source: the channel (Google, Direct Traffic, ...)
	DoNotEmail   bool
	DoNotCall    bool
	Converted    bool // whether X Education converted the lead
	Visits       int  // total visits to the website
	LastActivity string
	Country      string
	City         string
	Occupation   string
	Tags         string // the sales team's note on the outcome ("Lost to EINS")
	Quality      string // the sales team's rating ("High in Relevance")
}

// readLeads reads Leads.csv as published: 37 columns with a header row.
// The form's unselected drop-downs hold "Select", read as no value.
func readLeads(r io.Reader) ([]lead, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read leads: header: %w", err)
	}
	col := map[string]int{}
	for i, name := range header {
		col[strings.TrimSpace(name)] = i
	}
	need := []string{"Prospect ID", "Lead Number", "Lead Origin", "Lead Source", "Do Not Email", "Do Not Call",
		"Converted", "TotalVisits", "Last Activity", "Country", "City", "What is your current occupation", "Tags", "Lead Quality"}
	for _, name := range need {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("read leads: no column %q", name)
		}
	}
	var out []lead
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read leads: %w", err)
		}
		get := func(name string) string {
			v := strings.TrimSpace(rec[col[name]])
			if v == "Select" {
				return ""
			}
			return v
		}
		number, err := strconv.Atoi(get("Lead Number"))
		if err != nil {
			return nil, fmt.Errorf("read leads: line %d: lead number: %w", line, err)
		}
		visits := 0
		if v := get("TotalVisits"); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("read leads: line %d: total visits: %w", line, err)
			}
			visits = int(f)
		}
		out = append(out, lead{
			ProspectID: get("Prospect ID"), Number: number,
			Origin: get("Lead Origin"), Source: get("Lead Source"),
			DoNotEmail: get("Do Not Email") == "Yes", DoNotCall: get("Do Not Call") == "Yes",
			Converted: get("Converted") == "1", Visits: visits,
			LastActivity: get("Last Activity"), Country: get("Country"), City: get("City"),
			Occupation: get("What is your current occupation"), Tags: get("Tags"), Quality: get("Lead Quality"),
		})
	}
}

// weighted is a value and how often it occurs in the published file.
type weighted[T any] struct {
	v T
	n int
}

// pick draws one value of table with r, in proportion to the counts.
func pick[T any](r *rand.Rand, table []weighted[T]) T {
	total := 0
	for _, w := range table {
		total += w.n
	}
	k := r.IntN(total)
	for _, w := range table {
		if k < w.n {
			return w.v
		}
		k -= w.n
	}
	panic("unreachable")
}

type channel struct {
	origin, source string
	converted      bool
}

// The shape of the published file, counted from it (see data/SOURCE.md):
// leads by origin, source and outcome (the rarest combinations, 46 leads
// in all, left out), and the notes and ratings of converted and
// unconverted leads. generateLeads draws from them, so that a run without
// the file has the funnel of the file: 38.5% converted, Lead Add Form
// converting best, "Lost to EINS" the competitor that wins deals.
var (
	channels = []weighted[channel]{
		{channel{"Landing Page Submission", "Direct Traffic", false}, 1654}, {channel{"API", "Olark Chat", false}, 1306},
		{channel{"Landing Page Submission", "Google", false}, 997}, {channel{"Landing Page Submission", "Direct Traffic", true}, 779},
		{channel{"API", "Google", false}, 724}, {channel{"Landing Page Submission", "Google", true}, 712},
		{channel{"Lead Add Form", "Reference", true}, 490}, {channel{"API", "Olark Chat", true}, 447},
		{channel{"Landing Page Submission", "Organic Search", false}, 438}, {channel{"API", "Google", true}, 434},
		{channel{"API", "Organic Search", false}, 280}, {channel{"Landing Page Submission", "Organic Search", true}, 260},
		{channel{"API", "Organic Search", true}, 176}, {channel{"Lead Add Form", "Welingak Website", true}, 140},
		{channel{"API", "Referral Sites", false}, 80}, {channel{"API", "Direct Traffic", false}, 71},
		{channel{"Lead Add Form", "Reference", false}, 44}, {channel{"Lead Import", "Facebook", false}, 41},
		{channel{"API", "Direct Traffic", true}, 39}, {channel{"Lead Add Form", "", true}, 27},
		{channel{"API", "Referral Sites", true}, 18}, {channel{"Landing Page Submission", "Referral Sites", false}, 14},
		{channel{"Landing Page Submission", "Referral Sites", true}, 13}, {channel{"Lead Import", "Facebook", true}, 13},
	}
	convertedTags = []weighted[string]{
		{"Will revert after reading the email", 2007}, {"", 836}, {"Closed by Horizzon", 356}, {"Lost to EINS", 171},
		{"Busy", 105}, {"Ringing", 34}, {"Interested in other courses", 13}, {"Graduation in progress", 7},
		{"Interested in Next batch", 5}, {"switched off", 4}, {"in touch with EINS", 3},
	}
	unconvertedTags = []weighted[string]{
		{"", 2517}, {"Ringing", 1169}, {"Interested in other courses", 500}, {"Already a student", 462},
		{"switched off", 236}, {"Not doing further education", 144}, {"Interested  in full time MBA", 114},
		{"Graduation in progress", 104}, {"invalid number", 82}, {"Busy", 81}, {"Will revert after reading the email", 65},
		{"Diploma holder (Not Eligible)", 62}, {"wrong number given", 47}, {"opp hangup", 30}, {"number not provided", 27},
		{"in touch with EINS", 9}, {"Lost to Others", 7},
	}
	convertedQuality = []weighted[string]{
		{"Might be", 1179}, {"", 1024}, {"High in Relevance", 603}, {"Low in Relevance", 477}, {"Not Sure", 266}, {"Worst", 12},
	}
	unconvertedQuality = []weighted[string]{
		{"", 3743}, {"Not Sure", 826}, {"Worst", 589}, {"Might be", 381}, {"Low in Relevance", 106}, {"High in Relevance", 34},
	}
	lastActivities = []weighted[string]{
		{"Email Opened", 3437}, {"SMS Sent", 2745}, {"Olark Chat Conversation", 973}, {"Page Visited on Website", 640},
		{"Converted to Lead", 428}, {"Email Bounced", 326}, {"Email Link Clicked", 267}, {"Form Submitted on Website", 116},
		{"", 103}, {"Unreachable", 93}, {"Unsubscribed", 61}, {"Had a Phone Conversation", 30},
	}
	countries = []weighted[string]{
		{"India", 6492}, {"", 2461}, {"United States", 69}, {"United Arab Emirates", 53}, {"Singapore", 24},
		{"Saudi Arabia", 21}, {"United Kingdom", 15}, {"Australia", 13}, {"Qatar", 10},
	}
	cities = []weighted[string]{
		{"Mumbai", 3222}, {"", 3669}, {"Thane & Outskirts", 752}, {"Other Cities", 686},
		{"Other Cities of Maharashtra", 457}, {"Other Metro Cities", 380}, {"Tier II Cities", 74},
	}
	occupations = []weighted[string]{
		{"Unemployed", 5600}, {"", 2690}, {"Working Professional", 706}, {"Student", 210}, {"Other", 16},
		{"Housewife", 10}, {"Businessman", 8},
	}
)

// generateLeads makes n leads with the shape of the published file, the
// same n leads for the same seed on every run and machine (math/rand/v2's
// PCG is specified), numbered from 660000 down as the file's are.
func generateLeads(n int, seed uint64) []lead {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]lead, n)
	for i := range out {
		ch := pick(r, channels)
		l := lead{
			Number: 660737 - i, Origin: ch.origin, Source: ch.source, Converted: ch.converted,
			Visits: int(r.ExpFloat64() * 3.4), LastActivity: pick(r, lastActivities),
			Country: pick(r, countries), City: pick(r, cities), Occupation: pick(r, occupations),
		}
		var id [16]byte
		for j := range id {
			id[j] = byte(r.UintN(256))
		}
		id[6], id[8] = id[6]&0x0f|0x40, id[8]&0x3f|0x80 // a version 4 UUID, as the file's are
		l.ProspectID = fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:])
		if l.Converted {
			l.Tags, l.Quality = pick(r, convertedTags), pick(r, convertedQuality)
			l.DoNotEmail = r.IntN(3561) < 118
		} else {
			l.Tags, l.Quality = pick(r, unconvertedTags), pick(r, unconvertedQuality)
			l.DoNotEmail = r.IntN(5679) < 616
		}
		out[i] = l
	}
	return out
}
