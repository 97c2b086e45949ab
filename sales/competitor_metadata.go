package sales

import "github.com/crmkit/crmkit/crm"

// CompetitorEntity is the competitor's logical name.
const CompetitorEntity = "competitor"

// OpportunityCompetitors is the many-to-many relationship between
// opportunities and the competitors bidding for them, and its intersect
// entity (Dynamics' opportunitycompetitors): link pairs with
// storage.Store.Associate, cross it in queries with crm.ManyToMany's Any
// and None, in either direction.
const OpportunityCompetitors = "opportunitycompetitors"

// Logical field names of competitor (sales.md §3.4).
const (
	CompetitorName             = "name"
	CompetitorWebsite          = "websiteurl"
	CompetitorOverview         = "overview"
	CompetitorStrengths        = "strengths"
	CompetitorWeaknesses       = "weaknesses"
	CompetitorOpportunities    = "opportunities"
	CompetitorThreats          = "threats"
	CompetitorKeyProduct       = "keyproduct"
	CompetitorReportedRevenue  = "reportedrevenue"
	CompetitorReportingYear    = "reportingyear"
	CompetitorReportingQuarter = "reportingquarter"
	CompetitorTickerSymbol     = "tickersymbol"
	CompetitorStockExchange    = "stockexchange"
	CompetitorWinPercentage    = "winpercentage"
	CompetitorReferenceInfoURL = "referenceinfourl"
)

// CompetitorMetadata returns the competitor entity as Dynamics declares it
// (sales.md §3.4): organization-owned in Dynamics, and with no state or
// status reason, so it has no lifecycle. Each call returns a new value.
func CompetitorMetadata() *crm.Entity {
	memo := func(name, label string) crm.Field {
		return crm.Field{Name: name, Label: label, Type: crm.TypeText, MaxLength: 100_000}
	}
	return &crm.Entity{
		Name:        CompetitorEntity,
		Label:       "Competitor",
		PrimaryName: CompetitorName,
		Fields: []crm.Field{
			{Name: CompetitorName, Label: "Name", Type: crm.TypeText, MaxLength: 100, Required: true},
			{Name: CompetitorWebsite, Label: "Website", Type: crm.TypeText, MaxLength: 200},
			memo(CompetitorOverview, "Overview"),
			memo(CompetitorStrengths, "Strengths"),
			memo(CompetitorWeaknesses, "Weaknesses"),
			memo(CompetitorOpportunities, "Opportunities"),
			memo(CompetitorThreats, "Threats"),
			{Name: CompetitorKeyProduct, Label: "Key Product", Type: crm.TypeText, MaxLength: 500},
			{Name: CompetitorReportedRevenue, Label: "Reported Revenue", Type: crm.TypeMoney, Min: decimalPtr(0)},
			{Name: CompetitorReportingYear, Label: "Reporting Year", Type: crm.TypeInteger, Min: decimalPtr(1900), Max: decimalPtr(9999)},
			{Name: CompetitorReportingQuarter, Label: "Reporting Quarter", Type: crm.TypeInteger, Min: decimalPtr(1), Max: decimalPtr(4)},
			{Name: CompetitorTickerSymbol, Label: "Ticker Symbol", Type: crm.TypeText, MaxLength: 10},
			{Name: CompetitorStockExchange, Label: "Stock Exchange", Type: crm.TypeText, MaxLength: 20},
			{Name: CompetitorWinPercentage, Label: "Win Percentage", Type: crm.TypeDecimal, Precision: 2,
				Min: decimalPtr(0), Max: decimalPtr(100)},
			{Name: CompetitorReferenceInfoURL, Label: "Reference Info URL", Type: crm.TypeText, MaxLength: 200},
		},
	}
}

// opportunityCompetitors returns the N:N relationship of opportunities and
// competitors.
func opportunityCompetitors() crm.ManyToMany {
	return crm.ManyToMany{Name: OpportunityCompetitors, Entity1: OpportunityEntity, Entity2: CompetitorEntity}
}
