package sales

import "github.com/crmkit/crmkit/crm"

// The typed option sets, states and status reasons of leads and
// opportunities (see enums.go for how they work). Some of Dynamics'
// qualification option sets start at 0 (BudgetStatus, PurchaseTimeframe,
// PurchaseProcess, Need, Timeline, SalesStage): their zero value is a
// value, so typed records hold them as pointers, nil for null.

// LeadState is a lead's state (statecode). The zero value is
// LeadStateOpen, the state every lead starts in.
type LeadState int32

// LeadState values, with their published numbers.
const (
	LeadStateOpen         LeadState = 0
	LeadStateQualified    LeadState = 1
	LeadStateDisqualified LeadState = 2
)

var leadStates = stateSet[LeadState]("lead state", LeadLifecycle())

// LeadStatus is a lead's status reason (statuscode). The zero value is
// none: every stored lead has a status reason.
type LeadStatus int32

// LeadStatus values, with their published numbers.
const (
	LeadStatusNew                LeadStatus = 1
	LeadStatusContacted          LeadStatus = 2
	LeadStatusQualified          LeadStatus = 3
	LeadStatusLost               LeadStatus = 4
	LeadStatusCannotContact      LeadStatus = 5
	LeadStatusNoLongerInterested LeadStatus = 6
	LeadStatusCanceled           LeadStatus = 7
)

var leadStatuses = newOptionSet[LeadStatus]("lead status reason", crm.FieldStatus, statusOptions(LeadLifecycle()))

// LeadSource is where a lead came from (leadsourcecode). The zero value
// is no value (null).
type LeadSource int32

// LeadSource values, with their published numbers.
const (
	LeadSourceAdvertisement    LeadSource = 1
	LeadSourceEmployeeReferral LeadSource = 2
	LeadSourceExternalReferral LeadSource = 3
	LeadSourcePartner          LeadSource = 4
	LeadSourcePublicRelations  LeadSource = 5
	LeadSourceSeminar          LeadSource = 6
	LeadSourceTradeShow        LeadSource = 7
	LeadSourceWeb              LeadSource = 8
	LeadSourceWordOfMouth      LeadSource = 9
	LeadSourceOther            LeadSource = 10
)

var leadSources = newOptionSet[LeadSource]("lead source", LeadSourceCode, []crm.Option{
	{Value: 1, Label: "Advertisement"},
	{Value: 2, Label: "Employee Referral"},
	{Value: 3, Label: "External Referral"},
	{Value: 4, Label: "Partner"},
	{Value: 5, Label: "Public Relations"},
	{Value: 6, Label: "Seminar"},
	{Value: 7, Label: "Trade Show"},
	{Value: 8, Label: "Web"},
	{Value: 9, Label: "Word of Mouth"},
	{Value: 10, Label: "Other"},
})

// Rating is how promising a lead (leadqualitycode) or an opportunity
// (opportunityratingcode) is. The zero value is no value (null).
type Rating int32

// Rating values, with their published numbers.
const (
	RatingHot  Rating = 1
	RatingWarm Rating = 2
	RatingCold Rating = 3
)

var ratings = newOptionSet[Rating]("rating", LeadQuality, []crm.Option{
	{Value: 1, Label: "Hot"},
	{Value: 2, Label: "Warm"},
	{Value: 3, Label: "Cold"},
})

// BudgetStatus is the buyer's budget (budgetstatus), on leads and
// opportunities. 0 is a value (No Committed Budget): typed records hold a
// *BudgetStatus.
type BudgetStatus int32

// BudgetStatus values, with their published numbers.
const (
	BudgetNoCommittedBudget BudgetStatus = 0
	BudgetMayBuy            BudgetStatus = 1
	BudgetCanBuy            BudgetStatus = 2
	BudgetWillBuy           BudgetStatus = 3
)

var budgetStatuses = newOptionSet[BudgetStatus]("budget status", LeadBudgetStatus, []crm.Option{
	{Value: 0, Label: "No Committed Budget"},
	{Value: 1, Label: "May Buy"},
	{Value: 2, Label: "Can Buy"},
	{Value: 3, Label: "Will Buy"},
})

// PurchaseTimeframe is when the buyer means to buy (purchasetimeframe),
// on leads and opportunities; typed records hold a pointer.
type PurchaseTimeframe int32

// PurchaseTimeframe values, with their published numbers.
const (
	TimeframeImmediate   PurchaseTimeframe = 0
	TimeframeThisQuarter PurchaseTimeframe = 1
	TimeframeNextQuarter PurchaseTimeframe = 2
	TimeframeThisYear    PurchaseTimeframe = 3
	TimeframeUnknown     PurchaseTimeframe = 4
)

var purchaseTimeframes = newOptionSet[PurchaseTimeframe]("purchase timeframe", LeadPurchaseTimeframe, []crm.Option{
	{Value: 0, Label: "Immediate"},
	{Value: 1, Label: "This Quarter"},
	{Value: 2, Label: "Next Quarter"},
	{Value: 3, Label: "This Year"},
	{Value: 4, Label: "Unknown"},
})

// PurchaseProcess is how the buyer decides (purchaseprocess), on leads
// and opportunities; typed records hold a pointer.
type PurchaseProcess int32

// PurchaseProcess values, with their published numbers.
const (
	PurchaseIndividual PurchaseProcess = 0
	PurchaseCommittee  PurchaseProcess = 1
	PurchaseUnknown    PurchaseProcess = 2
)

var purchaseProcesses = newOptionSet[PurchaseProcess]("purchase process", LeadPurchaseProcess, []crm.Option{
	{Value: 0, Label: "Individual"},
	{Value: 1, Label: "Committee"},
	{Value: 2, Label: "Unknown"},
})

// Need is how much the buyer needs the offer (need), on leads and
// opportunities; typed records hold a pointer.
type Need int32

// Need values, with their published numbers.
const (
	NeedMustHave   Need = 0
	NeedShouldHave Need = 1
	NeedGoodToHave Need = 2
	NeedNoNeed     Need = 3
)

var needs = newOptionSet[Need]("need", LeadNeed, []crm.Option{
	{Value: 0, Label: "Must have"},
	{Value: 1, Label: "Should have"},
	{Value: 2, Label: "Good to have"},
	{Value: 3, Label: "No need"},
})
