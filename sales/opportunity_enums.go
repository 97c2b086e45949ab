package sales

import "github.com/crmkit/crmkit/crm"

// OpportunityState is an opportunity's state (statecode). The zero value
// is OpportunityStateOpen, the state every opportunity starts in.
type OpportunityState int32

// OpportunityState values, with their published numbers.
const (
	OpportunityStateOpen OpportunityState = 0
	OpportunityStateWon  OpportunityState = 1
	OpportunityStateLost OpportunityState = 2
)

var opportunityStates = stateSet[OpportunityState]("opportunity state", OpportunityLifecycle())

// OpportunityStatus is an opportunity's status reason (statuscode). The
// zero value is none: every stored opportunity has a status reason.
type OpportunityStatus int32

// OpportunityStatus values, with their published numbers.
const (
	OpportunityStatusInProgress OpportunityStatus = 1
	OpportunityStatusOnHold     OpportunityStatus = 2
	OpportunityStatusWon        OpportunityStatus = 3
	OpportunityStatusCanceled   OpportunityStatus = 4
	OpportunityStatusOutSold    OpportunityStatus = 5
)

var opportunityStatuses = newOptionSet[OpportunityStatus]("opportunity status reason", crm.FieldStatus, statusOptions(OpportunityLifecycle()))

// SalesStage is an opportunity's sales stage (salesstage), the stage of
// the default Lead to Opportunity sales process. 0 is a value (Qualify):
// typed records hold a *SalesStage.
type SalesStage int32

// SalesStage values, with their published numbers.
const (
	SalesStageQualify SalesStage = 0
	SalesStageDevelop SalesStage = 1
	SalesStagePropose SalesStage = 2
	SalesStageClose   SalesStage = 3
)

var salesStages = newOptionSet[SalesStage]("sales stage", OpportunitySalesStage, []crm.Option{
	{Value: 0, Label: "Qualify"},
	{Value: 1, Label: "Develop"},
	{Value: 2, Label: "Propose"},
	{Value: 3, Label: "Close"},
})

// Timeline is when an opportunity's buyer means to decide (timeline);
// typed records hold a pointer.
type Timeline int32

// Timeline values, with their published numbers.
const (
	TimelineImmediate   Timeline = 0
	TimelineThisQuarter Timeline = 1
	TimelineNextQuarter Timeline = 2
	TimelineThisYear    Timeline = 3
	TimelineNotKnown    Timeline = 4
)

var timelines = newOptionSet[Timeline]("timeline", OpportunityTimeline, []crm.Option{
	{Value: 0, Label: "Immediate"},
	{Value: 1, Label: "This Quarter"},
	{Value: 2, Label: "Next Quarter"},
	{Value: 3, Label: "This Year"},
	{Value: 4, Label: "Not known"},
})

// ForecastCategory is the forecast column an opportunity counts in
// (msdyn_forecastcategory). Closing an opportunity sets it to Won or
// Lost. The zero value is no value (null).
type ForecastCategory int32

// ForecastCategory values, with their published numbers.
const (
	ForecastPipeline  ForecastCategory = 100000001
	ForecastBestCase  ForecastCategory = 100000002
	ForecastCommitted ForecastCategory = 100000003
	ForecastOmitted   ForecastCategory = 100000004
	ForecastWon       ForecastCategory = 100000005
	ForecastLost      ForecastCategory = 100000006
)

var forecastCategories = newOptionSet[ForecastCategory]("forecast category", OpportunityForecastCategory, []crm.Option{
	{Value: 100000001, Label: "Pipeline"},
	{Value: 100000002, Label: "Best case"},
	{Value: 100000003, Label: "Committed"},
	{Value: 100000004, Label: "Omitted"},
	{Value: 100000005, Label: "Won"},
	{Value: 100000006, Label: "Lost"},
})
