package activity

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/shopspring/decimal"
)

// Logical names of the entities this package declares (activities C1).
const (
	// PointerEntity is the base entity every activity type extends
	// (Dynamics' activitypointer): one record per activity, whatever its
	// type, kept by the write path, so one query reads them all.
	PointerEntity = "activitypointer"
	// PartyEntity holds the parties of activities, one record per
	// (activity, party, role).
	PartyEntity = "activityparty"

	PhoneCall          = "phonecall"
	Email              = "email"
	Task               = "task"
	Appointment        = "appointment"
	Letter             = "letter"
	Fax                = "fax"
	OpportunityClose   = "opportunityclose"
	QuoteClose         = "quoteclose"
	OrderClose         = "orderclose"
	IncidentResolution = "incidentresolution"
	CampaignResponse   = "campaignresponse"
	CampaignActivity   = "campaignactivity"
	ServiceAppointment = "serviceappointment"
)

// Logical names of the fields every activity has (activities C2), on
// every type and on activitypointer.
const (
	FieldSubject        = "subject"
	FieldDescription    = "description"
	FieldRegarding      = "regardingobjectid"
	FieldPriority       = "prioritycode"
	FieldScheduledStart = "scheduledstart"
	FieldScheduledEnd   = "scheduledend"
	// FieldScheduledDuration is computed: scheduled end − start in
	// minutes, null unless both are set and the end is not before the
	// start.
	FieldScheduledDuration = "scheduleddurationminutes"
	FieldActualStart       = "actualstart"
	FieldActualEnd         = "actualend"
	// FieldActualDuration is computed as FieldScheduledDuration is, from
	// the actual start and end.
	FieldActualDuration = "actualdurationminutes"
	FieldIsBilled       = "isbilled"
	// FieldIsRegular is computed: true for the types people work with,
	// false for the system types other modules fill (closes,
	// resolutions, campaign responses and activities).
	FieldIsRegular    = "isregularactivity"
	FieldInstanceType = "instancetypecode"
	FieldSeries       = "seriesid"
	// FieldSortDate is computed: the activity's date on a timeline, its
	// actual end if set, else its scheduled end, else its scheduled
	// start; null when none is set (such an activity sorts last on a
	// timeline, newest first by ID).
	FieldSortDate = "sortdate"
	// FieldType, on activitypointer only, holds the logical name of the
	// activity's type (phonecall, email, a custom type's name, ...).
	FieldType = "activitytypecode"
)

// Fields of the types beyond the common ones.
const (
	// FieldDirection is true for an outgoing phone call, email, letter or
	// fax, false for an incoming one (Dynamics' directioncode).
	FieldDirection   = "directioncode"
	FieldPhoneNumber = "phonenumber"
	// FieldSender and FieldToRecipients are an email's addresses as text
	// (the parties are the records behind them).
	FieldSender       = "sender"
	FieldToRecipients = "torecipients"
	// FieldMessageID is the message ID the host's Sender returned for a
	// sent email.
	FieldMessageID       = "messageid"
	FieldPercentComplete = "percentcomplete"
	FieldLocation        = "location"
	FieldAllDay          = "isalldayevent"
	FieldAddress         = "address"
	FieldFaxNumber       = "faxnumber"
	FieldNumberOfPages   = "numberofpages"

	FieldOpportunity   = "opportunityid"
	FieldActualRevenue = "actualrevenue"
	FieldCompetitor    = "competitorid"
	FieldQuote         = "quoteid"
	FieldQuoteRevision = "revision"
	FieldOrder         = "salesorderid"
	FieldIncident      = "incidentid"
	// FieldTimeSpent is a case resolution's billable time in minutes.
	FieldTimeSpent      = "timespent"
	FieldTotalTimeSpent = "totaltimespent"

	FieldResponseCode  = "responsecode"
	FieldChannel       = "channeltypecode"
	FieldReceivedOn    = "receivedon"
	FieldCompanyName   = "companyname"
	FieldFirstName     = "firstname"
	FieldLastName      = "lastname"
	FieldEmailAddress  = "emailaddress"
	FieldTelephone     = "telephone"
	FieldPromotionCode = "promotioncodename"

	FieldCampaignType       = "typecode"
	FieldBudgetedCost       = "budgetedcost"
	FieldActualCost         = "actualcost"
	FieldExcludeIfContacted = "excludeifcontactedinxdays"
	FieldDoNotSendOnOptOut  = "donotsendonoptout"
	FieldIgnoreInactive     = "ignoreinactivelistmembers"

	FieldService = "serviceid"
	FieldSite    = "siteid"
)

// Fields of activityparty.
const (
	PartyActivity = "activityid"
	// PartyID is the party: a record of an entity enabled as a party
	// (EnableParties) or a user; null for an unresolved address.
	PartyID   = "partyid"
	PartyRole = "participationtypemask"
	// PartyAddress is the address used (an email address, say), at most
	// 320 characters; an unresolved party has it and no PartyID.
	PartyAddress = "addressused"
)

// Register adds the activity entities to reg: activitypointer, every
// built-in type (phone call, email, task, appointment, letter, fax and
// the system types other modules fill), recurringappointmentmaster (the
// series of recurring appointments, the target of every activity's
// seriesid) and activityparty, with their rules, so every store built on reg enforces them. No entity can be the
// regarding record of an activity or a party yet: Enable and
// EnableParties say which can. Registering twice fails with
// crm.ErrDuplicate.
func Register(reg *crm.Registry) error {
	ents := []*crm.Entity{PointerMetadata()}
	for _, t := range builtins {
		ents = append(ents, t.metadata())
	}
	ents = append(ents, partyMetadata(reg))
	if err := reg.Register(ents...); err != nil {
		return fmt.Errorf("register activities: %w", err)
	}
	if err := registerRecurring(reg); err != nil {
		return fmt.Errorf("register activities: %w", err)
	}
	return nil
}

// Registered reports whether reg holds the activity entities.
func Registered(reg *crm.Registry) bool {
	_, err := reg.Entity(PointerEntity)
	return err == nil
}

// Enable lets records of the named entities be the regarding record of
// activities of every type, built-in and custom, those registered later
// included. Deleting such a record deletes its activities (each type's
// regarding lookup cascades, activities C2), and with them their parties.
func Enable(reg *crm.Registry, entities ...string) error {
	if err := reg.AddTargets(PointerEntity, FieldRegarding, entities...); err != nil {
		return fmt.Errorf("enable activities: %w", err)
	}
	return nil
}

// EnableParties lets records of the named entities (accounts, contacts,
// leads, ...) be parties of activities. Users (crm.UserEntity) always
// can. Deleting a party's record clears the party's PartyID and keeps its
// row, as Dynamics keeps it marked deleted.
func EnableParties(reg *crm.Registry, entities ...string) error {
	if err := reg.AddTargets(PartyEntity, PartyID, entities...); err != nil {
		return fmt.Errorf("enable activity parties: %w", err)
	}
	return nil
}

// kind is one built-in activity type.
type kind struct {
	name, label string
	system      bool // isregularactivity false
	lifecycle   func() *crm.Lifecycle
	fields      func() []crm.Field
	roles       []Role // the party roles it allows (activities C3)
	rules       func() []crm.Rule
}

func (k kind) metadata() *crm.Entity {
	fields := commonFields(nil)
	for i := range fields {
		if fields[i].Name == FieldIsRegular {
			regular := !k.system
			fields[i].Compute = func(crm.Fields) any { return regular }
		}
	}
	if k.fields != nil {
		fields = append(fields, k.fields()...)
	}
	e := &crm.Entity{Name: k.name, Label: k.label, PrimaryName: FieldSubject, Base: PointerEntity,
		Fields: fields, Lifecycle: k.lifecycle(), Rules: []crm.Rule{scheduleRule()}}
	if k.rules != nil {
		e.Rules = append(e.Rules, k.rules()...)
	}
	return e
}

var (
	direction      = crm.Field{Name: FieldDirection, Label: "Direction", Type: crm.TypeBool}
	location       = crm.Field{Name: FieldLocation, Label: "Location", Type: crm.TypeText, MaxLength: 200}
	allDay         = crm.Field{Name: FieldAllDay, Label: "All Day Event", Type: crm.TypeBool}
	allRoles       = []Role{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	percentBounds  = [2]decimal.Decimal{decimal.NewFromInt(0), decimal.NewFromInt(100)}
	nonNegative    = decimal.NewFromInt(0)
	excludeMaxDays = decimal.NewFromInt(9999)
)

// lookupTo declares a lookup to an entity another module registers: a
// Polymorphic lookup with no targets, which that module adds
// (crm.Registry.AddTargets) when it registers the entity, since this
// package cannot import it.
func lookupTo(name, label string, onDelete crm.DeleteBehavior) crm.Field {
	return crm.Field{Name: name, Label: label, Type: crm.TypeLookup, Polymorphic: true, OnDelete: onDelete}
}

// builtins are the built-in types, in registration order.
var builtins = []kind{
	{name: PhoneCall, label: "Phone Call", lifecycle: PhoneCallLifecycle, roles: []Role{RoleSender, RoleTo},
		fields: func() []crm.Field {
			return []crm.Field{direction, {Name: FieldPhoneNumber, Label: "Phone Number", Type: crm.TypeText, MaxLength: 200}}
		}},
	{name: Email, label: "Email", lifecycle: EmailLifecycle, roles: []Role{RoleSender, RoleTo, RoleCc, RoleBcc},
		fields: func() []crm.Field {
			return []crm.Field{direction,
				{Name: FieldSender, Label: "From", Type: crm.TypeText, MaxLength: 250},
				{Name: FieldToRecipients, Label: "To Recipients", Type: crm.TypeText, MaxLength: 500},
				{Name: FieldMessageID, Label: "Message ID", Type: crm.TypeText, MaxLength: 320},
			}
		}, rules: func() []crm.Rule { return []crm.Rule{emailSendPathRule()} }},
	{name: Task, label: "Task", lifecycle: TaskLifecycle,
		fields: func() []crm.Field {
			return []crm.Field{{Name: FieldPercentComplete, Label: "% Complete", Type: crm.TypeInteger, Min: &percentBounds[0], Max: &percentBounds[1]}}
		}},
	{name: Appointment, label: "Appointment", lifecycle: AppointmentLifecycle,
		roles:  []Role{RoleRequiredAttendee, RoleOptionalAttendee, RoleOrganizer},
		fields: func() []crm.Field { return []crm.Field{location, allDay, originalStart} },
		rules:  func() []crm.Rule { return []crm.Rule{instanceRule()} }},
	{name: Letter, label: "Letter", lifecycle: LetterLifecycle, roles: []Role{RoleSender, RoleTo, RoleBcc},
		fields: func() []crm.Field {
			return []crm.Field{direction, {Name: FieldAddress, Label: "Address", Type: crm.TypeText, MaxLength: 500}}
		}},
	{name: Fax, label: "Fax", lifecycle: FaxLifecycle, roles: []Role{RoleSender, RoleTo},
		fields: func() []crm.Field {
			return []crm.Field{direction,
				{Name: FieldFaxNumber, Label: "Fax Number", Type: crm.TypeText, MaxLength: 200},
				{Name: FieldNumberOfPages, Label: "Number of Pages", Type: crm.TypeInteger, Min: &nonNegative},
			}
		}},
	{name: OpportunityClose, label: "Opportunity Close", system: true, lifecycle: func() *crm.Lifecycle { return SimpleLifecycle("Completed") },
		fields: func() []crm.Field {
			return []crm.Field{
				lookupTo(FieldOpportunity, "Opportunity", crm.DeleteCascade),
				{Name: FieldActualRevenue, Label: "Actual Revenue", Type: crm.TypeMoney},
				lookupTo(FieldCompetitor, "Competitor", crm.DeleteRemoveLink),
			}
		}},
	{name: QuoteClose, label: "Quote Close", system: true, lifecycle: func() *crm.Lifecycle { return SimpleLifecycle("Completed") },
		fields: func() []crm.Field {
			return []crm.Field{lookupTo(FieldQuote, "Quote", crm.DeleteCascade),
				{Name: FieldQuoteRevision, Label: "Revision", Type: crm.TypeInteger, Min: &nonNegative}}
		}},
	{name: OrderClose, label: "Order Close", system: true, lifecycle: func() *crm.Lifecycle { return SimpleLifecycle("Completed") },
		fields: func() []crm.Field { return []crm.Field{lookupTo(FieldOrder, "Order", crm.DeleteCascade)} }},
	{name: IncidentResolution, label: "Case Resolution", system: true, lifecycle: func() *crm.Lifecycle { return SimpleLifecycle("Completed") },
		fields: func() []crm.Field {
			return []crm.Field{lookupTo(FieldIncident, "Case", crm.DeleteCascade),
				{Name: FieldTimeSpent, Label: "Billable Time", Type: crm.TypeInteger, Min: &nonNegative},
				{Name: FieldTotalTimeSpent, Label: "Total Time", Type: crm.TypeInteger, Min: &nonNegative}}
		}},
	{name: CampaignResponse, label: "Campaign Response", system: true, lifecycle: func() *crm.Lifecycle { return SimpleLifecycle("Closed") },
		roles: []Role{RoleCustomer, RoleSender, RoleTo},
		fields: func() []crm.Field {
			return []crm.Field{
				{Name: FieldResponseCode, Label: "Response Code", Type: crm.TypeChoice, Options: []crm.Option{
					{Value: 1, Label: "Interested"}, {Value: 2, Label: "Not Interested"},
					{Value: 3, Label: "Do Not Send Marketing Materials"}, {Value: 4, Label: "Error"}}},
				{Name: FieldChannel, Label: "Channel", Type: crm.TypeChoice, Options: []crm.Option{
					{Value: 1, Label: "Email"}, {Value: 2, Label: "Phone"}, {Value: 3, Label: "Fax"},
					{Value: 4, Label: "Letter"}, {Value: 5, Label: "Appointment"}, {Value: 6, Label: "Others"}}},
				{Name: FieldReceivedOn, Label: "Received On", Type: crm.TypeTime, DateOnly: true},
				{Name: FieldCompanyName, Label: "Company Name", Type: crm.TypeText, MaxLength: 100},
				{Name: FieldFirstName, Label: "First Name", Type: crm.TypeText, MaxLength: 50},
				{Name: FieldLastName, Label: "Last Name", Type: crm.TypeText, MaxLength: 50},
				{Name: FieldEmailAddress, Label: "Email", Type: crm.TypeText, MaxLength: 100},
				{Name: FieldTelephone, Label: "Phone", Type: crm.TypeText, MaxLength: 50},
				{Name: FieldPromotionCode, Label: "Promotion Code", Type: crm.TypeText, MaxLength: 128},
			}
		}},
	{name: CampaignActivity, label: "Campaign Activity", system: true, lifecycle: CampaignActivityLifecycle,
		roles: []Role{RoleSender, RoleCustomer},
		fields: func() []crm.Field {
			return []crm.Field{
				{Name: FieldChannel, Label: "Channel", Type: crm.TypeChoice, Options: []crm.Option{
					{Value: 1, Label: "Phone"}, {Value: 2, Label: "Appointment"}, {Value: 3, Label: "Letter"},
					{Value: 4, Label: "Letter via Mail Merge"}, {Value: 5, Label: "Fax"}, {Value: 6, Label: "Fax via Mail Merge"},
					{Value: 7, Label: "Email"}, {Value: 8, Label: "Email via Mail Merge"}, {Value: 9, Label: "Other"}}},
				{Name: FieldCampaignType, Label: "Type", Type: crm.TypeChoice, Options: []crm.Option{
					{Value: 1, Label: "Research"}, {Value: 2, Label: "Content Preparation"},
					{Value: 3, Label: "Target Marketing List Creation"}, {Value: 4, Label: "Lead Qualification"},
					{Value: 5, Label: "Content Distribution"}, {Value: 6, Label: "Direct Initial Contact"},
					{Value: 7, Label: "Direct Follow-Up Contact"}, {Value: 8, Label: "Reminder Distribution"}}},
				{Name: FieldBudgetedCost, Label: "Budget Allocated", Type: crm.TypeMoney, Min: &nonNegative},
				{Name: FieldActualCost, Label: "Actual Cost", Type: crm.TypeMoney, Min: &nonNegative},
				{Name: FieldExcludeIfContacted, Label: "No. of Days", Type: crm.TypeInteger, Min: &nonNegative, Max: &excludeMaxDays},
				{Name: FieldDoNotSendOnOptOut, Label: "Exclude Members Who Opt Out", Type: crm.TypeBool},
				{Name: FieldIgnoreInactive, Label: "Ignore Inactive Marketing List Members", Type: crm.TypeBool},
			}
		}},
	{name: ServiceAppointment, label: "Service Activity", lifecycle: ServiceAppointmentLifecycle,
		roles: []Role{RoleCustomer, RoleResource},
		fields: func() []crm.Field {
			return []crm.Field{lookupTo(FieldService, "Service", crm.DeleteRestrict), lookupTo(FieldSite, "Site", crm.DeleteRemoveLink), location, allDay}
		}},
}

// Types returns the logical names of the built-in activity types, in
// registration order.
func Types() []string {
	out := make([]string, len(builtins))
	for i, k := range builtins {
		out[i] = k.name
	}
	return out
}

// AllowedRoles returns the party roles an activity type allows
// (activities C3): those of a built-in type, every role for any other
// type (a custom type allows them all, activities C1).
func AllowedRoles(entity string) []Role {
	if entity == RecurringAppointmentMaster {
		entity = Appointment // a series' parties are its instances'
	}
	for _, k := range builtins {
		if k.name == entity {
			return slices.Clone(k.roles)
		}
	}
	return slices.Clone(allRoles)
}

// commonFields returns the fields every activity type declares, with
// regarding targets targets (activities C2). The lookups cascade on
// delete: deleting the regarding record deletes its activities; deleting
// a recurring series (seriesid, whose target the recurring appointments
// module adds) deletes its instances.
func commonFields(targets []string) []crm.Field {
	return []crm.Field{
		{Name: FieldSubject, Label: "Subject", Type: crm.TypeText, MaxLength: 400, Required: true},
		{Name: FieldDescription, Label: "Description", Type: crm.TypeText, MaxLength: crm.MaxTextLength},
		{Name: FieldRegarding, Label: "Regarding", Type: crm.TypeLookup, Polymorphic: true,
			Targets: slices.Clone(targets), OnDelete: crm.DeleteCascade},
		{Name: FieldPriority, Label: "Priority", Type: crm.TypeChoice, Options: slices.Clone(priorities)},
		{Name: FieldScheduledStart, Label: "Start Date", Type: crm.TypeTime},
		{Name: FieldScheduledEnd, Label: "Due Date", Type: crm.TypeTime},
		{Name: FieldScheduledDuration, Label: "Scheduled Duration", Type: crm.TypeInteger, Compute: minutes(FieldScheduledStart, FieldScheduledEnd)},
		{Name: FieldActualStart, Label: "Actual Start", Type: crm.TypeTime},
		{Name: FieldActualEnd, Label: "Actual End", Type: crm.TypeTime},
		{Name: FieldActualDuration, Label: "Actual Duration", Type: crm.TypeInteger, Compute: minutes(FieldActualStart, FieldActualEnd)},
		{Name: FieldIsBilled, Label: "Is Billed", Type: crm.TypeBool},
		{Name: FieldIsRegular, Label: "Is Regular Activity", Type: crm.TypeBool},
		{Name: FieldInstanceType, Label: "Recurring Instance Type", Type: crm.TypeChoice, Options: slices.Clone(instanceTypes)},
		lookupTo(FieldSeries, "Series", crm.DeleteCascade),
		{Name: FieldSortDate, Label: "Sort Date", Type: crm.TypeTime, Compute: sortDate},
	}
}

// PointerMetadata returns the activitypointer entity: the common fields
// and the type (FieldType), as a base entity (crm.Entity.TypeField) whose
// records the write path keeps for every activity. Computed fields are
// computed on each type and copied here.
func PointerMetadata() *crm.Entity {
	fields := commonFields(nil)
	for i := range fields {
		fields[i].Compute = nil // the base holds what each type computed
	}
	fields = append(fields, crm.Field{Name: FieldType, Label: "Activity Type", Type: crm.TypeText, MaxLength: 50})
	return &crm.Entity{Name: PointerEntity, Label: "Activity", PrimaryName: FieldSubject, TypeField: FieldType, Fields: fields,
		// A timeline page (Timeline) is the newest activities regarding
		// one record: read from this index, it costs its page, not a sort
		// of every activity the record has.
		Indexes: []crm.Index{{Name: TimelineIndex, Fields: []string{FieldRegarding, FieldSortDate, crm.FieldID, FieldType}}}}
}

// TimelineIndex is the index the SQL stores keep on activitypointer for
// Timeline: regarding record, sort date, ID (crm.Index), then the type,
// which a page filtered by type reads from the index too; on PostgreSQL
// the index also gives the planner statistics of the type as the query
// compares it (lower(activitytypecode)), without which it guessed a type
// filter rare and sorted every activity of the record instead (94 ms
// against 1.3 ms for a page of 100,000).
const TimelineIndex = "timeline"

// minutes computes a duration in whole minutes from two time fields:
// null unless both are set and the end is not before the start.
func minutes(start, end string) func(crm.Fields) any {
	return func(f crm.Fields) any {
		s, e := f.Time(start), f.Time(end)
		if s.IsZero() || e.IsZero() || e.Before(s) {
			return nil
		}
		return int64(e.Sub(s) / time.Minute)
	}
}

// sortDate is the activity's timeline date: when it ended, else when it
// is due, else when it is to start (see FieldSortDate).
func sortDate(f crm.Fields) any {
	for _, name := range []string{FieldActualEnd, FieldScheduledEnd, FieldScheduledStart} {
		if t := f.Time(name); !t.IsZero() {
			return t
		}
	}
	return nil
}

// scheduleRule refuses a scheduled end before the scheduled start.
func scheduleRule() crm.Rule {
	return crm.Rule{Name: "scheduled end not before start", Fields: []string{FieldScheduledStart, FieldScheduledEnd},
		Check: func(_ context.Context, w crm.Write) error {
			s, e := w.Target.Fields.Time(FieldScheduledStart), w.Target.Fields.Time(FieldScheduledEnd)
			if !s.IsZero() && !e.IsZero() && e.Before(s) {
				return crm.Invalid(w.Entity.Name, FieldScheduledEnd, "is before the scheduled start")
			}
			return nil
		}}
}

// instanceRule keeps the instances of recurring series what the series
// says they are, through every door (C6.4): moving an instance (its
// scheduled start or end) makes it an exception, so a write that moves
// one must say so (instancetypecode 3, as Service.UpdateInstance writes),
// or later materialisation and expansion would not know it moved; and an
// exception stays one.
func instanceRule() crm.Rule {
	return crm.Rule{Name: "recurring instances move as exceptions",
		Fields: []string{FieldScheduledStart, FieldScheduledEnd, FieldInstanceType},
		Check: func(_ context.Context, w crm.Write) error {
			if w.Before == nil {
				return nil
			}
			before, _ := w.Before.Fields.Choice(FieldInstanceType)
			after, _ := w.Target.Fields.Choice(FieldInstanceType)
			switch InstanceType(before) {
			case RecurringInstance:
				moved := !crm.SameValue(w.Before.Fields[FieldScheduledStart], w.Target.Fields[FieldScheduledStart]) ||
					!crm.SameValue(w.Before.Fields[FieldScheduledEnd], w.Target.Fields[FieldScheduledEnd])
				if moved && InstanceType(after) == RecurringInstance {
					return crm.Invalid(w.Entity.Name, FieldScheduledStart,
						"moves an instance of a recurring series: make it an exception (instancetypecode 3), as Service.UpdateInstance does")
				}
				if after != before && InstanceType(after) != RecurringException {
					return crm.Invalid(w.Entity.Name, FieldInstanceType, "an instance of a recurring series can only become an exception")
				}
			case RecurringException:
				if after != before {
					return crm.Invalid(w.Entity.Name, FieldInstanceType, "an exception of a recurring series stays one")
				}
			default:
				if after != before {
					return crm.Invalid(w.Entity.Name, FieldInstanceType, "is set when a series materialises its instances")
				}
			}
			return nil
		}}
}

// emailSendPathRule keeps an email's send path in order (activities C4):
// Pending Send only from an open email (Draft or Failed), Sending only
// from Pending Send, and from Pending Send or Sending only onwards (to
// Sending, Sent) or to Failed. The lifecycle cannot say it alone: the
// path moves between status reasons of one state.
func emailSendPathRule() crm.Rule {
	return crm.Rule{Name: "email send path in order", Check: func(_ context.Context, w crm.Write) error {
		if w.Before == nil || w.Before.Status == w.Target.Status {
			return nil
		}
		from, to := w.Before.Status, w.Target.Status
		ok := true
		switch {
		case from == EmailPendingSend:
			ok = to == EmailSending || to == EmailFailed
		case from == EmailSending:
			ok = to == EmailSent || to == EmailFailed
		case to == EmailPendingSend:
			ok = State(w.Before.State) == StateOpen
		case to == EmailSending:
			ok = false
		case to == EmailFailed:
			ok = false // only a send that was under way fails
		case State(w.Before.State) == StateCompleted && State(w.Target.State) == StateCompleted:
			ok = false // Sent, Received and Completed are final until reopened
		}
		if !ok {
			return crm.Invalid(w.Entity.Name, crm.FieldStatus, fmt.Sprintf("cannot go from %s to %s: an email is sent Draft → Pending Send → Sending → Sent (or Failed)",
				statusName(w.Entity, from), statusName(w.Entity, to)))
		}
		return nil
	}}
}

func statusName(e *crm.Entity, s crm.StatusCode) string {
	if st, ok := e.Lifecycle.Status(s); ok {
		return st.Name
	}
	return fmt.Sprint(int32(s))
}
