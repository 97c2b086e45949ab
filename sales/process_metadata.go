package sales

import (
	"fmt"

	"github.com/crmkit/crmkit/crm"
)

// StageHistoryEntity is the logical name of the opportunity stage history:
// one record per stage visit an opportunity has ended, written by the
// SetOpportunityStage operation (Processes.MoveStage), by closing the
// opportunity and by qualifying the lead it comes from (the visit of the
// process's first stage). Dynamics keeps no such table (its business process flow
// keeps only the traversed path); crmkit keeps it so that "average days in
// stage" and "stage conversion rate" are aggregates.
const StageHistoryEntity = "opportunitystagehistory"

// Logical field names of the stage history. The record's owner is the
// opportunity's owner when the visit ended, so reports by owner need no
// join.
const (
	StageHistoryOpportunity = "opportunityid"
	StageHistoryStage       = "salesstage"
	StageHistoryStepName    = "stepname"
	StageHistoryEnteredOn   = "enteredon"
	StageHistoryLeftOn      = "lefton"
	// StageHistoryDays is the time between entered and left, in days to
	// four places (about nine seconds).
	StageHistoryDays      = "days"
	StageHistoryDirection = "direction"
)

// StageDirection says how a stage visit ended (the history's direction).
// The zero value is no value.
type StageDirection int32

// StageDirection values. They are crmkit's own, not Dynamics'; their
// numbers never change.
const (
	// StageForward: the opportunity moved to a later stage of its process.
	StageForward StageDirection = 1
	// StageBack: it moved to an earlier stage.
	StageBack StageDirection = 2
	// StageClosedWon: it was won in this stage.
	StageClosedWon StageDirection = 3
	// StageClosedLost: it was lost in this stage.
	StageClosedLost StageDirection = 4
)

var stageDirections = newOptionSet[StageDirection]("stage direction", StageHistoryDirection, []crm.Option{
	{Value: 1, Label: "Forward"},
	{Value: 2, Label: "Back"},
	{Value: 3, Label: "Closed Won"},
	{Value: 4, Label: "Closed Lost"},
})

// StageHistoryMetadata returns the stage history entity, with its rule:
// its records are written only by the operations that end a stage visit
// (SetOpportunityStage, WinOpportunity, LoseOpportunity, QualifyLead) or
// by an import,
// so the history cannot be made up through a plain create or update.
// Deleting an opportunity deletes its history. Each call returns a new
// value.
func StageHistoryMetadata() *crm.Entity {
	return &crm.Entity{
		Name:        StageHistoryEntity,
		Label:       "Opportunity Stage History",
		PrimaryName: StageHistoryStepName,
		Fields: []crm.Field{
			{Name: StageHistoryOpportunity, Label: "Opportunity", Type: crm.TypeLookup, Targets: []string{OpportunityEntity},
				Required: true, Immutable: true, OnDelete: crm.DeleteCascade},
			{Name: StageHistoryStage, Label: "Sales Stage", Type: crm.TypeChoice, Options: salesStages.choices(), Required: true},
			{Name: StageHistoryStepName, Label: "Pipeline Phase", Type: crm.TypeText, MaxLength: 200},
			{Name: StageHistoryEnteredOn, Label: "Entered On", Type: crm.TypeTime, Required: true},
			{Name: StageHistoryLeftOn, Label: "Left On", Type: crm.TypeTime, Required: true},
			{Name: StageHistoryDays, Label: "Days in Stage", Type: crm.TypeDecimal, Precision: 4,
				Min: decimalPtr(0), Max: decimalPtr(1_000_000)},
			{Name: StageHistoryDirection, Label: "Direction", Type: crm.TypeChoice, Options: stageDirections.choices(), Required: true},
		},
		Rules: []crm.Rule{{
			Name:  "stage visits are written only by the operations that end them",
			Check: checkStageHistoryWrite,
		}},
	}
}

// OpportunityStageStartedOn is when the opportunity entered its current
// sales stage (Dynamics keeps it on the business process flow instance as
// activestagestartedon). SetOpportunityStage sets it; null means the
// opportunity is in the stage it was created in, since its creation.
const OpportunityStageStartedOn = "activestagestartedon"

// registerProcess adds the stage history, the opportunity's
// activestagestartedon and its sales-stage rule to reg (Register calls
// it).
func registerProcess(reg *crm.Registry) error {
	if err := reg.Register(StageHistoryMetadata()); err != nil {
		return fmt.Errorf("register sales processes: %w", err)
	}
	if err := reg.AddFields(OpportunityEntity, crm.Field{Name: OpportunityStageStartedOn, Label: "Active Stage Started On", Type: crm.TypeTime}); err != nil {
		return fmt.Errorf("register sales processes: %w", err)
	}
	if err := reg.AddRules(OpportunityEntity, crm.Rule{
		Name:   "the sales stage moves only through the sales process",
		Fields: []string{OpportunitySalesStage, OpportunityStageStartedOn},
		Check:  checkStageChange,
	}); err != nil {
		return fmt.Errorf("register sales processes: %w", err)
	}
	return nil
}
