package activity

import "github.com/crmkit/crmkit/crm"

// Lifecycle events. Every activity type has complete, cancel and reopen;
// appointments and service activities schedule; emails go through send,
// sending, sent and fail.
const (
	// EventComplete closes an open (or scheduled) activity as Completed,
	// stamping its actual end (and its actual start if empty).
	EventComplete = "complete"
	// EventCancel closes an open (or scheduled) activity as Canceled,
	// stamping its actual end (and start if empty) as completing does.
	EventCancel = "cancel"
	// EventReopen moves a closed activity back to Open.
	EventReopen = "reopen"
	// EventSchedule moves an open appointment or service activity to
	// Scheduled (Busy, Out of Office; Pending, Reserved, ...).
	EventSchedule = "schedule"
	// EventSend moves a draft (or failed) email to Pending Send.
	EventSend = "send"
	// EventSending moves a pending email to Sending.
	EventSending = "sending"
	// EventSent records an email the sender accepted: Sent.
	EventSent = "sent"
	// EventFail records an email the sender refused: Failed, Open again.
	EventFail = "fail"
)

// Status reasons, Dynamics' numbers (activities C4), per type. A status
// reason belongs to one state; the store refuses any other pairing.
const (
	PhoneCallOpen     crm.StatusCode = 1
	PhoneCallMade     crm.StatusCode = 2
	PhoneCallCanceled crm.StatusCode = 3
	PhoneCallReceived crm.StatusCode = 4

	TaskNotStarted crm.StatusCode = 2
	TaskInProgress crm.StatusCode = 3
	TaskWaiting    crm.StatusCode = 4
	TaskCompleted  crm.StatusCode = 5
	TaskCanceled   crm.StatusCode = 6
	TaskDeferred   crm.StatusCode = 7

	EmailDraft       crm.StatusCode = 1
	EmailCompleted   crm.StatusCode = 2
	EmailSent        crm.StatusCode = 3
	EmailReceived    crm.StatusCode = 4
	EmailCanceled    crm.StatusCode = 5
	EmailPendingSend crm.StatusCode = 6
	EmailSending     crm.StatusCode = 7
	EmailFailed      crm.StatusCode = 8

	LetterOpen     crm.StatusCode = 1
	LetterDraft    crm.StatusCode = 2
	LetterReceived crm.StatusCode = 3
	LetterSent     crm.StatusCode = 4
	LetterCanceled crm.StatusCode = 5

	FaxOpen      crm.StatusCode = 1
	FaxCompleted crm.StatusCode = 2
	FaxSent      crm.StatusCode = 3
	FaxReceived  crm.StatusCode = 4
	FaxCanceled  crm.StatusCode = 5

	AppointmentFree        crm.StatusCode = 1
	AppointmentTentative   crm.StatusCode = 2
	AppointmentCompleted   crm.StatusCode = 3
	AppointmentCanceled    crm.StatusCode = 4
	AppointmentBusy        crm.StatusCode = 5
	AppointmentOutOfOffice crm.StatusCode = 6

	ServiceRequested  crm.StatusCode = 1
	ServiceTentative  crm.StatusCode = 2
	ServicePending    crm.StatusCode = 3
	ServiceReserved   crm.StatusCode = 4
	ServiceInProgress crm.StatusCode = 6
	ServiceArrived    crm.StatusCode = 7
	ServiceCompleted  crm.StatusCode = 8
	ServiceCanceled   crm.StatusCode = 9
	ServiceNoShow     crm.StatusCode = 10

	CampaignActivityProposed      crm.StatusCode = 1
	CampaignActivityClosed        crm.StatusCode = 2
	CampaignActivityCanceled      crm.StatusCode = 3
	CampaignActivityPending       crm.StatusCode = 4
	CampaignActivitySystemAborted crm.StatusCode = 5
	CampaignActivityCompleted     crm.StatusCode = 6

	// The three-reason lifecycle of campaign responses, case
	// resolutions, opportunity, quote and order closes and custom
	// types: Open, Closed (Completed), Canceled.
	StatusOpen     crm.StatusCode = 1
	StatusClosed   crm.StatusCode = 2
	StatusCanceled crm.StatusCode = 3
)

// closing are the stamps of an event that closes an activity: the actual
// end is when it closed, and the actual start, if nobody recorded one,
// too (activities C4, DERIVED). A state change that gives either value
// keeps it.
func closing() []crm.Stamp {
	return []crm.Stamp{{Field: FieldActualEnd}, {Field: FieldActualStart, IfEmpty: true}}
}

// status is one status reason of a lifecycle table below.
type status struct {
	code  crm.StatusCode
	name  string
	state State
}

// lifecycle builds an activity lifecycle: the given states (Open first,
// the initial state; Completed and Canceled read-only), their default
// status reasons, the status reasons, and complete, cancel and reopen;
// with scheduled, a Scheduled state and the schedule event too.
func lifecycle(completedName string, defaults map[State]crm.StatusCode, statuses []status) *crm.Lifecycle {
	lc := &crm.Lifecycle{Initial: crm.StateCode(StateOpen)}
	open := []crm.StateCode{crm.StateCode(StateOpen)}
	lc.States = append(lc.States,
		crm.State{Code: crm.StateCode(StateOpen), Name: "Open", DefaultStatus: defaults[StateOpen]},
		crm.State{Code: crm.StateCode(StateCompleted), Name: completedName, DefaultStatus: defaults[StateCompleted], ReadOnly: true},
		crm.State{Code: crm.StateCode(StateCanceled), Name: "Canceled", DefaultStatus: defaults[StateCanceled], ReadOnly: true})
	if d, ok := defaults[StateScheduled]; ok {
		lc.States = append(lc.States, crm.State{Code: crm.StateCode(StateScheduled), Name: "Scheduled", DefaultStatus: d})
		open = append(open, crm.StateCode(StateScheduled))
	}
	for _, s := range statuses {
		lc.Statuses = append(lc.Statuses, crm.Status{Code: s.code, Name: s.name, State: crm.StateCode(s.state)})
	}
	if len(open) > 1 {
		lc.Transitions = append(lc.Transitions,
			crm.Transition{Event: EventSchedule, From: []crm.StateCode{crm.StateCode(StateOpen)}, To: crm.StateCode(StateScheduled)})
	}
	lc.Transitions = append(lc.Transitions,
		crm.Transition{Event: EventComplete, From: open, To: crm.StateCode(StateCompleted), Stamps: closing()},
		crm.Transition{Event: EventCancel, From: open, To: crm.StateCode(StateCanceled), Stamps: closing()},
		crm.Transition{Event: EventReopen, From: []crm.StateCode{crm.StateCode(StateCompleted), crm.StateCode(StateCanceled)}, To: crm.StateCode(StateOpen)},
	)
	return lc
}

func defaults(open, completed, canceled crm.StatusCode) map[State]crm.StatusCode {
	return map[State]crm.StatusCode{StateOpen: open, StateCompleted: completed, StateCanceled: canceled}
}

// PhoneCallLifecycle returns the phone call's lifecycle: Open (Open),
// Completed (Made, Received), Canceled. Each call returns a new table.
func PhoneCallLifecycle() *crm.Lifecycle {
	return lifecycle("Completed", defaults(PhoneCallOpen, PhoneCallMade, PhoneCallCanceled), []status{
		{PhoneCallOpen, "Open", StateOpen}, {PhoneCallMade, "Made", StateCompleted},
		{PhoneCallCanceled, "Canceled", StateCanceled}, {PhoneCallReceived, "Received", StateCompleted},
	})
}

// TaskLifecycle returns the task's lifecycle: Open (Not Started, In
// Progress, Waiting on someone else, Deferred), Completed, Canceled.
func TaskLifecycle() *crm.Lifecycle {
	return lifecycle("Completed", defaults(TaskNotStarted, TaskCompleted, TaskCanceled), []status{
		{TaskNotStarted, "Not Started", StateOpen}, {TaskInProgress, "In Progress", StateOpen},
		{TaskWaiting, "Waiting on someone else", StateOpen}, {TaskCompleted, "Completed", StateCompleted},
		{TaskCanceled, "Canceled", StateCanceled}, {TaskDeferred, "Deferred", StateOpen},
	})
}

// EmailLifecycle returns the email's lifecycle: Open (Draft, Failed),
// Completed (Completed, Sent, Received, Pending Send, Sending), Canceled;
// and the send path, Draft → Pending Send → Sending → Sent, or Failed,
// which is Open again. The order of the send path's status reasons is the
// email's rule (EmailMetadata), since its events move within Completed.
func EmailLifecycle() *crm.Lifecycle {
	lc := lifecycle("Completed", defaults(EmailDraft, EmailCompleted, EmailCanceled), []status{
		{EmailDraft, "Draft", StateOpen}, {EmailCompleted, "Completed", StateCompleted},
		{EmailSent, "Sent", StateCompleted}, {EmailReceived, "Received", StateCompleted},
		{EmailCanceled, "Canceled", StateCanceled}, {EmailPendingSend, "Pending Send", StateCompleted},
		{EmailSending, "Sending", StateCompleted}, {EmailFailed, "Failed", StateOpen},
	})
	done := []crm.StateCode{crm.StateCode(StateCompleted)}
	lc.Transitions = append(lc.Transitions,
		crm.Transition{Event: EventSend, From: []crm.StateCode{crm.StateCode(StateOpen)}, To: crm.StateCode(StateCompleted)},
		crm.Transition{Event: EventSending, From: done, To: crm.StateCode(StateCompleted)},
		crm.Transition{Event: EventSent, From: done, To: crm.StateCode(StateCompleted), Stamps: closing()},
		crm.Transition{Event: EventFail, From: done, To: crm.StateCode(StateOpen)},
	)
	return lc
}

// LetterLifecycle returns the letter's lifecycle: Open (Open, Draft),
// Completed (Received, Sent), Canceled.
func LetterLifecycle() *crm.Lifecycle {
	return lifecycle("Completed", defaults(LetterDraft, LetterSent, LetterCanceled), []status{
		{LetterOpen, "Open", StateOpen}, {LetterDraft, "Draft", StateOpen}, {LetterReceived, "Received", StateCompleted},
		{LetterSent, "Sent", StateCompleted}, {LetterCanceled, "Canceled", StateCanceled},
	})
}

// FaxLifecycle returns the fax's lifecycle: Open, Completed (Completed,
// Sent, Received), Canceled.
func FaxLifecycle() *crm.Lifecycle {
	return lifecycle("Completed", defaults(FaxOpen, FaxCompleted, FaxCanceled), []status{
		{FaxOpen, "Open", StateOpen}, {FaxCompleted, "Completed", StateCompleted}, {FaxSent, "Sent", StateCompleted},
		{FaxReceived, "Received", StateCompleted}, {FaxCanceled, "Canceled", StateCanceled},
	})
}

// AppointmentLifecycle returns the appointment's lifecycle: Open (Free,
// Tentative), Completed, Canceled, Scheduled (Busy, Out of Office).
func AppointmentLifecycle() *crm.Lifecycle {
	d := defaults(AppointmentFree, AppointmentCompleted, AppointmentCanceled)
	d[StateScheduled] = AppointmentBusy
	return lifecycle("Completed", d, []status{
		{AppointmentFree, "Free", StateOpen}, {AppointmentTentative, "Tentative", StateOpen},
		{AppointmentCompleted, "Completed", StateCompleted}, {AppointmentCanceled, "Canceled", StateCanceled},
		{AppointmentBusy, "Busy", StateScheduled}, {AppointmentOutOfOffice, "Out of Office", StateScheduled},
	})
}

// ServiceAppointmentLifecycle returns the service activity's lifecycle
// (service B4.5): Open (Requested, Tentative), Closed (Completed),
// Canceled (Canceled, No Show), Scheduled (Pending, Reserved, In
// Progress, Arrived).
func ServiceAppointmentLifecycle() *crm.Lifecycle {
	d := defaults(ServiceRequested, ServiceCompleted, ServiceCanceled)
	d[StateScheduled] = ServicePending
	return lifecycle("Closed", d, []status{
		{ServiceRequested, "Requested", StateOpen}, {ServiceTentative, "Tentative", StateOpen},
		{ServicePending, "Pending", StateScheduled}, {ServiceReserved, "Reserved", StateScheduled},
		{ServiceInProgress, "In Progress", StateScheduled}, {ServiceArrived, "Arrived", StateScheduled},
		{ServiceCompleted, "Completed", StateCompleted}, {ServiceCanceled, "Canceled", StateCanceled},
		{ServiceNoShow, "No Show", StateCanceled},
	})
}

// CampaignActivityLifecycle returns the campaign activity's lifecycle
// (marketing A2.6): Open (Proposed, Pending, System Aborted, Completed),
// Closed, Canceled. Dynamics' status reason 0 In Progress is left out:
// crmkit's status reasons start at 1 (0 is "none given").
func CampaignActivityLifecycle() *crm.Lifecycle {
	return lifecycle("Closed", defaults(CampaignActivityProposed, CampaignActivityClosed, CampaignActivityCanceled), []status{
		{CampaignActivityProposed, "Proposed", StateOpen}, {CampaignActivityClosed, "Closed", StateCompleted},
		{CampaignActivityCanceled, "Canceled", StateCanceled}, {CampaignActivityPending, "Pending", StateOpen},
		{CampaignActivitySystemAborted, "System Aborted", StateOpen}, {CampaignActivityCompleted, "Completed", StateOpen},
	})
}

// SimpleLifecycle returns the three-state lifecycle of campaign
// responses, case resolutions, opportunity, quote and order closes and
// of custom activity types: Open (Open), Completed (Closed), Canceled
// (Canceled), named as completedName names the closed state. The close
// activities' numbers follow Dynamics' metadata (DERIVED: the reference
// lists them for case resolutions and campaign responses only).
func SimpleLifecycle(completedName string) *crm.Lifecycle {
	return lifecycle(completedName, defaults(StatusOpen, StatusClosed, StatusCanceled), []status{
		{StatusOpen, "Open", StateOpen}, {StatusClosed, "Closed", StateCompleted}, {StatusCanceled, "Canceled", StateCanceled},
	})
}
