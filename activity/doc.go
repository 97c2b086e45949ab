// Package activity is crmkit's activities module (Dynamics' activities,
// activities C1–C5): phone calls, emails, tasks, appointments, letters,
// faxes, the system activities other modules fill (opportunity, quote and
// order closes, case resolutions, campaign responses and activities,
// service activities) and custom activity types; their parties; and the
// timeline of any record.
//
// Start with Register, then say which entities activities can regard
// (Enable) and which can take part (EnableParties); then New over a
// storage.Store:
//
//	reg := crm.NewRegistry()
//	activity.Register(reg)
//	activity.Enable(reg, "account")        // sales.Register does this for accounts and contacts
//	activity.EnableParties(reg, "contact") // users can always take part
//	acts := activity.New(st, activity.WithSender(mySMTP))
//	call, err := acts.Create(ctx, activity.Activity{Type: activity.PhoneCall, Subject: "Call Ada",
//		Regarding: acme, Parties: activity.As(activity.RoleTo, ada)})
//
// # One record per activity, and a pointer
//
// Every type is an entity of its own extending activitypointer
// (crm.Entity.Base): the write path keeps, in the same transaction, an
// activitypointer record for every activity, with its header (state,
// status reason, owner, ...), the common fields and its type
// (FieldType). So "all activities regarding this record" and "all
// activities this contact takes part in" are one store query each, one
// SQL statement on the SQL stores, across every type (RegardingFilter,
// InvolvingFilter, Timeline). The pointer is read-only: writes go to the
// type.
//
// The common fields (C2): subject (required), description, regarding
// record, priority, scheduled start and end, actual start and end,
// billed, instance type and series (kept for recurring appointments:
// see below), and four computed ones:
// scheduled and actual durations in minutes (end − start, null unless
// both are set and the end is not before the start), isregularactivity
// (false for the system types) and sortdate, the activity's date on a
// timeline. Dynamics leaves sortdate to business logic; crmkit computes
// it: the actual end if set, else the scheduled end (a task's due date),
// else the scheduled start; null when none is set. A scheduled end
// before the scheduled start is refused.
//
// Lookups to entities of other modules (an opportunity close's
// opportunity and competitor, a case resolution's case, a quote, an
// order, a service activity's service and site, an activity's series)
// are Polymorphic lookups with no targets: this package cannot import
// those modules, so each adds itself as the target when it registers
// (crm.Registry.AddTargets). Until then they hold nothing.
//
// # Lifecycles
//
// Each type has its lifecycle table, with Dynamics' state and status
// reason numbers (C4): PhoneCallLifecycle, TaskLifecycle,
// EmailLifecycle, LetterLifecycle, FaxLifecycle, AppointmentLifecycle,
// ServiceAppointmentLifecycle, CampaignActivityLifecycle and
// SimpleLifecycle (closes, case resolutions, campaign responses, custom
// types). The states number alike in every table (State): 0 Open, 1
// Completed (named Closed for some system types), 2 Canceled, 3
// Scheduled. Completed and Canceled are read-only: a closed activity
// refuses updates and changes of its parties until reopened
// (crm.ErrInvalidTransition). A status reason must belong to the state
// (crm.ErrValidation), whichever door the change comes through.
//
// Completing or canceling an activity stamps its actual end, and its
// actual start if empty, with the transaction's time (C4, DERIVED): the
// lifecycle's transitions carry the stamps (crm.Transition.Stamps), so a
// plain storage.Store.SetState stamps too; a state change that gives
// either value keeps it.
//
// Phone calls, tasks, letters, faxes, campaign activities and the
// three-state types draw alike (the Completed state is named Closed for
// some):
//
//	stateDiagram-v2
//	    [*] --> Open
//	    Canceled --> Open: reopen
//	    Completed --> Open: reopen
//	    Open --> Canceled: cancel
//	    Open --> Completed: complete
//
// Emails add the send path, Draft → Pending Send → Sending → Sent, or
// Failed, which is Open again. Pending Send, Sending and Sent are status
// reasons of Completed, so the path's order is the email's rule: Sending
// only after Pending Send, Sent or Failed only after Sending.
//
//	stateDiagram-v2
//	    [*] --> Open
//	    Canceled --> Open: reopen
//	    Completed --> Open: fail
//	    Completed --> Open: reopen
//	    Completed --> Completed: sending
//	    Completed --> Completed: sent
//	    Open --> Canceled: cancel
//	    Open --> Completed: complete
//	    Open --> Completed: send
//
// Appointments and service activities can be scheduled (Busy, Out of
// Office; Pending, Reserved, In Progress, Arrived):
//
//	stateDiagram-v2
//	    [*] --> Open
//	    Canceled --> Open: reopen
//	    Completed --> Open: reopen
//	    Open --> Canceled: cancel
//	    Open --> Completed: complete
//	    Open --> Scheduled: schedule
//	    Scheduled --> Canceled: cancel
//	    Scheduled --> Completed: complete
//
// A test redraws them from the tables and fails if these drawings differ.
// Dynamics' campaign activity status reason 0 (In Progress) is left out:
// crmkit's status reasons start at 1.
//
// # Parties
//
// An activity's parties are activityparty records, one per (activity,
// party, role) (an alternate key: a party given twice in a role fails with
// crm.ErrDuplicate). A party is a record of an entity enabled as a party,
// a user (crm.UserEntity, always allowed; crmkit keeps no user records,
// so a user party is taken as an owner is), or an unresolved address
// (no party, Party.Address set). The roles are C3's (Role); a type allows
// the roles of C3's table (AllowedRoles: a required attendee on an email
// is refused), a custom type all of them; an organizer is a user. The
// rule lives on activityparty, so it holds through every door. A closed
// activity's parties do not change. Service.Create writes an activity
// with its parties in one transaction. Deleting an activity deletes its
// parties; deleting a party's record clears the party's link and keeps
// its row, as Dynamics keeps it (marked deleted).
//
// # Timeline
//
// Timeline returns one page of a record's activities of every type,
// sorted by sortdate descending (activities without one last) and then by
// ID descending, keyset-paged (the page's Next continues it), filtered by
// type, state and a sortdate range, and with Involving, the activities
// the record takes part in too; TimelineAll streams the same query
// (iter.Seq2). Regarding and Involving stream a record's activities.
// activitypointer declares an index on (regarding record, sort date, ID, type)
// (TimelineIndex, crm.Index), so on the SQL stores a page reads its rows
// from the index instead of sorting every activity of the record.
//
// # Custom activity types
//
// RegisterType registers a host's activity type: every common field,
// regarding the entities enabled now and later, all party roles, the
// timeline, and fields of its own, with the three-state lifecycle unless
// it brings one.
//
// # Email
//
// crmkit sends no mail: the host supplies a Sender (WithSender), and
// Service.Send moves the email to Pending Send and then Sending, each
// committed, calls the Sender outside any transaction, and records Sent
// (with the message ID) or Failed in a new transaction.
//
// # When the regarding record closes (C5)
//
// Deleting the regarding record deletes its activities of every type
// (each type's regarding lookup cascades) and their parties.
// Deactivating a record leaves its activities alone, as Dynamics does.
// For records whose closing depends on their activities, CloseOpen is
// the policy hook the service and marketing modules call inside their
// own transaction: Block refuses with an *OpenActivitiesError listing
// the open activities (a case cancel; a case resolve, as CRM 2011 did),
// Cancel cancels them (a case resolve after confirmation, as the current
// Customer Service does).
//
// # Recurring appointments
//
// A recurring appointment is a series (activities C6): a
// recurringappointmentmaster record (RecurringAppointmentMaster, an
// activity type of its own with the appointment's states, status
// reasons and party roles) holding the pattern, and appointments as its
// instances (instancetypecode 2, seriesid the master, originalstartdate
// their start in the pattern). The pattern is stored in Dynamics' fields
// with Dynamics' values (recurrencepatterntype, interval,
// daysofweekmask, isweekdaypattern, dayofmonth, isnthmonthly,
// isnthyearly, instance, monthofyear, firstdayofweek — set on create
// only —, patternstartdate, patternendtype, occurrences,
// patternenddate, starttime, duration, isalldayevent), so the
// "every weekday" choice is stored as weekly, mask 62. The engine is
// package recurrence; a rule on the master decodes the fields and
// refuses, through every door, a pattern that does not validate, naming
// the fields. Choices where Dynamics differs or the reference is silent:
//
//   - starttime is the instances' wall-clock time as text "15:04" in the
//     series' time zone, and endtime is computed from it and duration.
//     The zone is an IANA name in the text field timezone (empty: UTC),
//     not Dynamics' numeric time zone code: it is what keeps a weekly
//     09:00 Europe/Berlin meeting at 09:00 local across both
//     daylight-saving changes.
//   - deletedexceptionslist holds the deleted instances' dates in the
//     series' zone as sorted ISO dates separated by commas
//     ("2024-01-08,2024-01-15"); each must be an instance of the pattern.
//   - groupid is a UUID as text; CreateSeries gives a new series a new
//     one, and a split shares it.
//   - The write path computes effectivestartdate and effectiveenddate
//     (the first and last instance's dates; none without an end) and the
//     master's scheduled start and end: its first instance's, so a
//     series sits on a timeline where it begins.
//
// The operations are named operations (storage.Store.Execute), each one
// transaction that hooks see by name (the Message constants):
// CreateSeries creates the master, its parties and its instances up to a
// horizon; CreateInstances and Materialise append instances after the
// last one materialised (lastexpandedinstancedate, expansionstatecode).
// Materialisation never goes beyond the future expansion window (12
// months from now by default) nor creates more than the sync maximum
// (1,000) at once (WithExpansion; Dynamics' FutureExpansionWindow and
// RecurrenceExpansionSynchCreateMax), so a series without an end is
// never materialised whole; crmkit has no past window: a series that
// began in the past is materialised from its first instance. Expand
// yields a series' instances in any window straight from its pattern
// and exceptions, rows or not ("next month's meetings").
//
// UpdateInstance makes an instance an exception (instancetypecode 3),
// moved or changed alone; DeleteInstance adds its date to the master's
// deletedexceptionslist and deletes the row. Exceptions are never
// regenerated. UpdateSeries applies the master's changed basic
// information (subject, description, regarding, priority, location) to
// its open plain instances; exceptions keep all their own values (crmkit
// does not track which attribute an exception changed) and closed
// instances are read-only. A change of the pattern is ChangePattern,
// the split of C6.4 (recurrence.Split): if an instance had started, the
// old master ends at its last past instance and keeps the past
// instances, its future ones are deleted, and a new master with the same
// groupid expands the future; if none had, every instance is deleted and
// the series expanded again in place. Deleting a master deletes its
// instances (seriesid cascades), and a closed master is read-only.
// Through other doors (the generic store, a Table) the pattern rule still
// holds, and so does the instances' rule: a write that moves an instance
// (its scheduled start or end) must make it an exception
// (instancetypecode 3), an exception stays one, and nothing else changes
// an instance type. But a deleted row does not enter
// deletedexceptionslist, and a pattern written over a master does not
// re-materialise its instances: use the Service for those.
//
// # Typed records
//
// Activity carries the common fields and the type; its Fields the
// type's own (by the Field constants) and a host's custom fields; its
// Parties the parties. Codec converts it for storage.Table, for any type
// or, to read, activitypointer. Priority, Role, InstanceType and State
// are typed, with Dynamics' numbers; status reasons are crm.StatusCode
// constants per type (PhoneCallMade, EmailSent, ...).
package activity
