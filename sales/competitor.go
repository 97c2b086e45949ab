package sales

import (
	"sync"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Competitor is a company bidding against the business for its deals
// (Dynamics' competitor): its profile, SWOT analysis and reported
// figures. It has no state. See the package doc for the conventions of
// typed records.
type Competitor struct {
	crm.Header
	Name             string // required, at most 100 characters
	Website          string
	Overview         string
	Strengths        string
	Weaknesses       string
	Opportunities    string // the "O" of its SWOT analysis, not our deals
	Threats          string
	KeyProduct       string
	ReportedRevenue  *crm.Money
	ReportingYear    *int64 // 1900..9999
	ReportingQuarter *int64 // 1..4
	TickerSymbol     string
	StockExchange    string
	// WinPercentage is the user-entered win percentage Dynamics keeps
	// (0..100); Competitors.WinLoss computes the figures from the deals.
	WinPercentage    *decimal.Decimal
	ReferenceInfoURL string

	// Kept by the write path when the registry has a base currency, nil
	// otherwise; never written from here.
	ExchangeRate        *decimal.Decimal
	ReportedRevenueBase *crm.Money

	// Extra holds the fields of the competitor record that Competitor
	// does not declare: a host's custom fields.
	Extra crm.Fields
}

// Ref returns a reference to the competitor, for lookups.
func (c Competitor) Ref() crm.Ref { return CompetitorRef(c.ID) }

// CompetitorRef returns a reference to the competitor with the given ID.
func CompetitorRef(id crm.ID) crm.Ref { return crm.Ref{Entity: CompetitorEntity, ID: id} }

// CompetitorCodec converts between Competitor and competitor records, for
// storage.Table.
func CompetitorCodec() storage.Codec[Competitor] {
	return storage.Codec[Competitor]{Entity: CompetitorEntity, Encode: encodeCompetitor, Decode: decodeCompetitor}
}

// competitorReadOnly names the fields Competitor's members decode only.
var competitorReadOnly = []string{crm.FieldExchangeRate, crm.BaseField(CompetitorReportedRevenue)}

func encodeCompetitor(c Competitor) crm.Record {
	return encodeTyped(CompetitorEntity, c.Header, competitorFields(c), c.Extra, competitorKnown(), competitorReadOnly)
}

// competitorFields returns the fields c's members hold.
func competitorFields(c Competitor) crm.Fields {
	return crm.Fields{
		CompetitorName:             text(c.Name),
		CompetitorWebsite:          text(c.Website),
		CompetitorOverview:         text(c.Overview),
		CompetitorStrengths:        text(c.Strengths),
		CompetitorWeaknesses:       text(c.Weaknesses),
		CompetitorOpportunities:    text(c.Opportunities),
		CompetitorThreats:          text(c.Threats),
		CompetitorKeyProduct:       text(c.KeyProduct),
		CompetitorReportedRevenue:  optional(c.ReportedRevenue),
		CompetitorReportingYear:    optional(c.ReportingYear),
		CompetitorReportingQuarter: optional(c.ReportingQuarter),
		CompetitorTickerSymbol:     text(c.TickerSymbol),
		CompetitorStockExchange:    text(c.StockExchange),
		CompetitorWinPercentage:    optional(c.WinPercentage),
		CompetitorReferenceInfoURL: text(c.ReferenceInfoURL),
	}
}

// competitorKnown names the fields Competitor's members encode.
var competitorKnown = sync.OnceValue(func() map[string]bool { return fieldSet(competitorFields(Competitor{})) })

func decodeCompetitor(rec crm.Record) (Competitor, error) {
	f := rec.Fields
	return Competitor{
		Header:              rec.Header,
		Name:                f.String(CompetitorName),
		Website:             f.String(CompetitorWebsite),
		Overview:            f.String(CompetitorOverview),
		Strengths:           f.String(CompetitorStrengths),
		Weaknesses:          f.String(CompetitorWeaknesses),
		Opportunities:       f.String(CompetitorOpportunities),
		Threats:             f.String(CompetitorThreats),
		KeyProduct:          f.String(CompetitorKeyProduct),
		ReportedRevenue:     optionalField[crm.Money](f, CompetitorReportedRevenue),
		ReportingYear:       optionalField[int64](f, CompetitorReportingYear),
		ReportingQuarter:    optionalField[int64](f, CompetitorReportingQuarter),
		TickerSymbol:        f.String(CompetitorTickerSymbol),
		StockExchange:       f.String(CompetitorStockExchange),
		WinPercentage:       optionalField[decimal.Decimal](f, CompetitorWinPercentage),
		ReferenceInfoURL:    f.String(CompetitorReferenceInfoURL),
		ExchangeRate:        optionalField[decimal.Decimal](f, crm.FieldExchangeRate),
		ReportedRevenueBase: optionalField[crm.Money](f, crm.BaseField(CompetitorReportedRevenue)),
		Extra:               extraFields(f, competitorKnown(), competitorReadOnly...),
	}, nil
}
