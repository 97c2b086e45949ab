package storagetest

import (
	"strings"

	"github.com/crmkit/crmkit/crm"
)

// Entity names of the test schema.
const (
	account    = "account"
	contact    = "contact"
	task       = "task"
	salesorder = "salesorder"
)

// The task lifecycle: Open (0), Completed (1) and Canceled (2); the last two
// are read-only until the task is reopened.
const (
	taskOpen      crm.StateCode = 0
	taskCompleted crm.StateCode = 1
	taskCanceled  crm.StateCode = 2

	statusNotStarted crm.StatusCode = 2
	statusInProgress crm.StatusCode = 3
	statusWaiting    crm.StatusCode = 4
	statusCompleted  crm.StatusCode = 5
	statusCanceled   crm.StatusCode = 6
	statusDeferred   crm.StatusCode = 7
)

// Schema returns a new registry holding the conformance suite's test
// schema, modelled on Dynamics' account, contact, task and sales order:
//
//   - account covers every field type: name (text, at most 40 characters,
//     required), accountnumber (text, immutable), city (text),
//     numberofemployees (integer), rating (decimal, 2 places), creditlimit
//     (money), creditonhold (bool), lastcontactedon (time), foundedon
//     (date-only time), category (choice: 1 preferred, 2 standard),
//     parentaccountid (hierarchical lookup to account, remove link on
//     delete) and primarycontactid (lookup to contact, remove link);
//   - contact has firstname, lastname (required), fullname (computed from
//     the two), city, emailaddress1, birthdate (date-only) and
//     parentcustomerid, a polymorphic lookup to account or contact that
//     cascades deletes;
//   - task has subject (required), priority (choice 0..2), durationminutes
//     (integer), duedate (time), regardingobjectid (polymorphic lookup to
//     account or contact, cascade) and a lifecycle Open / Completed /
//     Canceled whose closed states are read-only, with events complete,
//     cancel and reopen;
//   - salesorder has name (required), customerid (required lookup to
//     account, restrict), contactid (lookup to contact, restrict) and
//     totalamount (money), and no lifecycle.
//
// Deleting an account therefore cascades two levels (contacts, then their
// tasks), removes links (child accounts, accounts whose primary contact was
// deleted) and is refused when a sales order refers to it or to any of its
// contacts.
func Schema() *crm.Registry {
	reg := crm.NewRegistry()
	if err := reg.Register(accountEntity(), contactEntity(), taskEntity(), orderEntity()); err != nil {
		// The schema is fixed data: failing to register it is a bug in this
		// file, which every run of the suite would reveal at once.
		panic("storagetest: schema: " + err.Error())
	}
	return reg
}

func accountEntity() *crm.Entity {
	return &crm.Entity{
		Name:        account,
		PrimaryName: "name",
		Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, MaxLength: 40, Required: true},
			{Name: "accountnumber", Type: crm.TypeText, MaxLength: 20, Immutable: true},
			{Name: "city", Type: crm.TypeText, MaxLength: 50},
			{Name: "numberofemployees", Type: crm.TypeInteger},
			{Name: "rating", Type: crm.TypeDecimal, Precision: 2},
			{Name: "creditlimit", Type: crm.TypeMoney},
			{Name: "creditonhold", Type: crm.TypeBool},
			{Name: "lastcontactedon", Type: crm.TypeTime},
			{Name: "foundedon", Type: crm.TypeTime, DateOnly: true},
			{Name: "category", Type: crm.TypeChoice, Options: []crm.Option{{Value: 1, Label: "Preferred customer"}, {Value: 2, Label: "Standard"}}},
			{Name: "parentaccountid", Type: crm.TypeLookup, Targets: []string{account}, Hierarchical: true, OnDelete: crm.DeleteRemoveLink},
			{Name: "primarycontactid", Type: crm.TypeLookup, Targets: []string{contact}, OnDelete: crm.DeleteRemoveLink},
		},
	}
}

func contactEntity() *crm.Entity {
	return &crm.Entity{
		Name:        contact,
		PrimaryName: "fullname",
		Fields: []crm.Field{
			{Name: "firstname", Type: crm.TypeText, MaxLength: 50},
			{Name: "lastname", Type: crm.TypeText, MaxLength: 50, Required: true},
			{Name: "fullname", Type: crm.TypeText, MaxLength: 101, Compute: fullName},
			{Name: "city", Type: crm.TypeText, MaxLength: 50},
			{Name: "emailaddress1", Type: crm.TypeText, MaxLength: 100},
			{Name: "birthdate", Type: crm.TypeTime, DateOnly: true},
			{Name: "parentcustomerid", Type: crm.TypeLookup, Targets: []string{account, contact}, OnDelete: crm.DeleteCascade},
		},
	}
}

// fullName is "first last", or whichever of the two is set.
func fullName(f crm.Fields) any {
	name := strings.TrimSpace(f.String("firstname") + " " + f.String("lastname"))
	if name == "" {
		return nil
	}
	return name
}

func taskEntity() *crm.Entity {
	return &crm.Entity{
		Name:        task,
		PrimaryName: "subject",
		Fields: []crm.Field{
			{Name: "subject", Type: crm.TypeText, MaxLength: 200, Required: true},
			{Name: "priority", Type: crm.TypeChoice, Options: []crm.Option{{Value: 0, Label: "Low"}, {Value: 1, Label: "Normal"}, {Value: 2, Label: "High"}}},
			{Name: "durationminutes", Type: crm.TypeInteger},
			{Name: "duedate", Type: crm.TypeTime},
			{Name: "regardingobjectid", Type: crm.TypeLookup, Targets: []string{account, contact}, OnDelete: crm.DeleteCascade},
		},
		Lifecycle: &crm.Lifecycle{
			Initial: taskOpen,
			States: []crm.State{
				{Code: taskOpen, Name: "Open", DefaultStatus: statusNotStarted},
				{Code: taskCompleted, Name: "Completed", DefaultStatus: statusCompleted, ReadOnly: true},
				{Code: taskCanceled, Name: "Canceled", DefaultStatus: statusCanceled, ReadOnly: true},
			},
			Statuses: []crm.Status{
				{Code: statusNotStarted, Name: "Not Started", State: taskOpen},
				{Code: statusInProgress, Name: "In Progress", State: taskOpen},
				{Code: statusWaiting, Name: "Waiting on someone else", State: taskOpen},
				{Code: statusCompleted, Name: "Completed", State: taskCompleted},
				{Code: statusCanceled, Name: "Canceled", State: taskCanceled},
				{Code: statusDeferred, Name: "Deferred", State: taskOpen},
			},
			Transitions: []crm.Transition{
				{Event: "complete", From: []crm.StateCode{taskOpen}, To: taskCompleted},
				{Event: "cancel", From: []crm.StateCode{taskOpen}, To: taskCanceled},
				{Event: "reopen", From: []crm.StateCode{taskCompleted, taskCanceled}, To: taskOpen},
			},
		},
	}
}

func orderEntity() *crm.Entity {
	return &crm.Entity{
		Name:        salesorder,
		PrimaryName: "name",
		Fields: []crm.Field{
			{Name: "name", Type: crm.TypeText, MaxLength: 100, Required: true},
			{Name: "customerid", Type: crm.TypeLookup, Targets: []string{account}, Required: true, OnDelete: crm.DeleteRestrict},
			{Name: "contactid", Type: crm.TypeLookup, Targets: []string{contact}, OnDelete: crm.DeleteRestrict},
			{Name: "totalamount", Type: crm.TypeMoney},
		},
	}
}
