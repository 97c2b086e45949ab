package sales

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Leads is the lead service: typed reads and writes of leads through a
// storage.Store, and the lead's operations: Qualify, Disqualify and
// Reactivate. It is safe for concurrent use, and operations join the
// transaction carried by ctx.
//
// The rules of leads live in their metadata (LeadMetadata), not here: a
// lead is qualified only through the QualifyLead operation, a qualified
// or disqualified lead is read-only until reactivated, a lead with an
// opportunity cannot be disqualified, whichever door a write comes
// through.
type Leads struct {
	store *storage.Store
	table *storage.Table[Lead]
	// mapping is replaced whole by MapField (copy on write), so Qualify
	// reads a consistent map without a lock.
	mapping atomic.Pointer[leadMapping]
}

// NewLeads returns the lead service over st, whose registry must hold the
// sales entities (Register), with Dynamics' lead field map
// (DefaultLeadMapping); MapField extends it.
func NewLeads(st *storage.Store) *Leads {
	s := &Leads{store: st, table: storage.NewTable(st, LeadCodec())}
	m := leadMapping(DefaultLeadMapping())
	s.mapping.Store(&m)
	return s
}

// Table returns typed access to leads, for what the service does not
// cover.
func (s *Leads) Table() *storage.Table[Lead] { return s.table }

// Create stores a new lead and returns it as stored: Open, status reason
// New, with its full name computed. Errors: crm.ErrValidation (a missing
// topic or last name, a qualifying opportunity set, ...),
// crm.ErrDuplicate for an ID in use.
func (s *Leads) Create(ctx context.Context, l Lead) (Lead, error) {
	return s.table.Create(ctx, l)
}

// Get returns the lead with the given ID, or an error matching
// crm.ErrNotFound.
func (s *Leads) Get(ctx context.Context, id crm.ID) (Lead, error) {
	return s.table.Get(ctx, id)
}

// Update writes every field of l over the stored lead and returns it as
// stored. l.Version must be the version l was read at, or the update
// fails with crm.ErrConflict and changes nothing; storage.AnyVersion is
// refused, as in Accounts.Update. A qualified or disqualified lead
// refuses updates with crm.ErrInvalidTransition (reactivate it first).
func (s *Leads) Update(ctx context.Context, l Lead) (Lead, error) {
	return s.table.Update(ctx, l)
}

// Search returns one page of the leads matching q, as Accounts.Search
// does accounts.
func (s *Leads) Search(ctx context.Context, q crm.Query) (crm.PageOf[Lead], error) {
	return search(ctx, s.table, q)
}

// Count returns how many leads match q, whose Entity may be empty or
// "lead".
func (s *Leads) Count(ctx context.Context, q crm.Query) (int64, error) {
	return count(ctx, s.table, q)
}

// Assign gives the lead a new owner, a user or a team. version is the
// version the lead was read at (storage.AnyVersion skips the check).
func (s *Leads) Assign(ctx context.Context, id crm.ID, version int64, owner crm.Ref) (Lead, error) {
	return s.table.Assign(ctx, id, version, owner)
}

// Delete removes a lead, with the activities regarding it. The records a
// qualification created stay, their originating lead cleared. version
// works as in Assign.
func (s *Leads) Delete(ctx context.Context, id crm.ID, version int64) error {
	return s.table.Delete(ctx, id, version)
}

// Disqualify moves an open lead to Disqualified with status reason status
// (0: Lost; else Cannot Contact, No Longer Interested or Canceled), where
// it is read-only until reactivated. version works as in Assign. A lead
// with an opportunity (its qualifying opportunity) cannot be
// disqualified: a *crm.ValidationError on qualifyingopportunityid; a lead
// that is not open fails with crm.ErrInvalidTransition.
func (s *Leads) Disqualify(ctx context.Context, id crm.ID, version int64, status LeadStatus) (Lead, error) {
	return s.table.SetState(ctx, id, version, EventDisqualify, crm.StatusCode(status))
}

// Reactivate moves a qualified or disqualified lead back to Open, status
// reason New, where it can be edited and qualified again. Its links stay:
// the qualifying opportunity, customer, existing account and contact a
// qualification set (so qualifying it again attaches to the records the
// first one created, and it still cannot be disqualified while it has an
// opportunity). version works as in Assign; an open lead fails with
// crm.ErrInvalidTransition.
func (s *Leads) Reactivate(ctx context.Context, id crm.ID, version int64) (Lead, error) {
	return setState(ctx, s.table, id, version, EventReactivate)
}

// DuplicatePolicy says what Qualify does when a record it would create
// looks like one that exists (see DuplicateError).
type DuplicatePolicy int32

const (
	// RefuseDuplicates fails the qualification with a *DuplicateError
	// listing the matches, writing nothing. The caller then links to a
	// match (QualifyOptions.ExistingAccount, ExistingContact) or creates
	// anyway (CreateDuplicates).
	RefuseDuplicates DuplicatePolicy = 0
	// CreateDuplicates creates the records without looking for matches.
	CreateDuplicates DuplicatePolicy = 1
)

// QualifyOptions are the choices of a qualification, Dynamics'
// QualifyLeadRequest. The zero value creates nothing and only marks the
// lead Qualified.
type QualifyOptions struct {
	// CreateAccount, CreateContact and CreateOpportunity say which
	// records to create from the lead. An account is created only when
	// the lead has a company name, and neither it nor the contact when
	// an existing one is attached instead.
	CreateAccount     bool
	CreateContact     bool
	CreateOpportunity bool
	// ExistingAccount and ExistingContact attach the lead to records
	// that exist instead of creating them; the zero Ref means the lead's
	// own (parentaccountid, parentcontactid), if any.
	ExistingAccount crm.Ref
	ExistingContact crm.Ref
	// OpportunityCustomer is the new opportunity's potential customer, an
	// account or a contact; the zero Ref means the account (created or
	// attached), else the contact.
	OpportunityCustomer crm.Ref
	// Currency, if set, is the new opportunity's currency: the lead's
	// amounts it takes must be in it (crmkit never converts an amount
	// silently), else the qualification fails with a *crm.ValidationError.
	Currency crm.Currency
	// Status is the lead's status reason once qualified; 0 means
	// Qualified, the Qualified state's only one.
	Status LeadStatus
	// OnDuplicate says what to do when an account or contact to create
	// looks like one that exists.
	OnDuplicate DuplicatePolicy
	// Process is the sales process the new opportunity enters. Its first
	// stage (Qualify in DefaultProcess) is the lead's: the opportunity
	// starts in the second, with its sales stage, pipeline phase, default
	// close probability (unless the lead field map gives one) and
	// activestagestartedon set to now, and the visit of the first stage,
	// from the lead's creation to now, is recorded in the stage history
	// as ended Forward. nil means DefaultProcess(); a pointer to the zero
	// Process (&sales.Process{}) means none: the opportunity gets no
	// stage and no visit is recorded. A process needs at least two
	// stages.
	Process *Process
}

// The inputs of the QualifyLead operation (storage.Execution.Inputs), as
// Qualify passes them and the operation reads them: hooks registered for
// MessageQualifyLead read and may change them. Values have the Go types
// of the QualifyOptions members they come from; a hook that gives one of
// another type fails the operation with a *crm.ValidationError.
const (
	QualifyInputLead                = "LeadId"                // crm.ID
	QualifyInputVersion             = "Version"               // int64, as Qualify's version
	QualifyInputCreateAccount       = "CreateAccount"         // bool
	QualifyInputCreateContact       = "CreateContact"         // bool
	QualifyInputCreateOpportunity   = "CreateOpportunity"     // bool
	QualifyInputExistingAccount     = "ExistingAccount"       // crm.Ref
	QualifyInputExistingContact     = "ExistingContact"       // crm.Ref
	QualifyInputOpportunityCustomer = "OpportunityCustomerId" // crm.Ref
	QualifyInputCurrency            = "OpportunityCurrencyId" // crm.Currency
	QualifyInputStatus              = "Status"                // LeadStatus
	QualifyInputOnDuplicate         = "OnDuplicate"           // DuplicatePolicy
	QualifyInputProcess             = "Process"               // *Process
	// QualifyOutputCreated is the output (storage.Execution.Outputs)
	// listing the records the operation created, a []crm.Ref, as
	// Dynamics' QualifyLeadResponse.CreatedEntities.
	QualifyOutputCreated = "CreatedEntities"
)

// inputs returns o as the operation's inputs.
func (o QualifyOptions) inputs(id crm.ID, version int64) map[string]any {
	return map[string]any{
		QualifyInputLead:                id,
		QualifyInputVersion:             version,
		QualifyInputCreateAccount:       o.CreateAccount,
		QualifyInputCreateContact:       o.CreateContact,
		QualifyInputCreateOpportunity:   o.CreateOpportunity,
		QualifyInputExistingAccount:     o.ExistingAccount,
		QualifyInputExistingContact:     o.ExistingContact,
		QualifyInputOpportunityCustomer: o.OpportunityCustomer,
		QualifyInputCurrency:            o.Currency,
		QualifyInputStatus:              o.Status,
		QualifyInputOnDuplicate:         o.OnDuplicate,
		QualifyInputProcess:             o.Process,
	}
}

// qualifyRequest is what the operation reads from its inputs.
type qualifyRequest struct {
	lead    crm.ID
	version int64
	QualifyOptions
}

// qualifyInputs reads the operation's inputs back, as hooks left them.
func qualifyInputs(in map[string]any) (qualifyRequest, error) {
	verr := &crm.ValidationError{Entity: LeadEntity}
	var r qualifyRequest
	input(in, QualifyInputLead, &r.lead, verr)
	input(in, QualifyInputVersion, &r.version, verr)
	input(in, QualifyInputCreateAccount, &r.CreateAccount, verr)
	input(in, QualifyInputCreateContact, &r.CreateContact, verr)
	input(in, QualifyInputCreateOpportunity, &r.CreateOpportunity, verr)
	input(in, QualifyInputExistingAccount, &r.ExistingAccount, verr)
	input(in, QualifyInputExistingContact, &r.ExistingContact, verr)
	input(in, QualifyInputOpportunityCustomer, &r.OpportunityCustomer, verr)
	input(in, QualifyInputCurrency, &r.Currency, verr)
	input(in, QualifyInputStatus, &r.Status, verr)
	input(in, QualifyInputOnDuplicate, &r.OnDuplicate, verr)
	input(in, QualifyInputProcess, &r.Process, verr)
	if r.lead == crm.NilID && !verr.Has(QualifyInputLead) {
		verr.Add(QualifyInputLead, "is required")
	}
	return r, verr.Err()
}

// input reads in[key] into dst: a missing or nil value leaves the zero
// value, a value of another type is a bad field of verr.
func input[T any](in map[string]any, key string, dst *T, verr *crm.ValidationError) {
	v, ok := in[key]
	if !ok || v == nil {
		return
	}
	t, ok := v.(T)
	if !ok {
		verr.Add(key, "is a %T, not a %T", v, *dst)
		return
	}
	*dst = t
}

// QualifyResult is what a qualification made of a lead.
type QualifyResult struct {
	// Account, Contact and Opportunity are the records the lead became,
	// created or attached; the zero Ref for none.
	Account     crm.Ref
	Contact     crm.Ref
	Opportunity crm.Ref
	// Created lists the records the qualification created, in order.
	Created []crm.Ref
	// Lead is the lead as stored, Qualified.
	Lead Lead
}

// DuplicateError is the error of a qualification that would create an
// account or a contact that looks like one that exists: an account named
// as the lead's company (trimmed, in any case), a contact with the lead's
// email address (emailaddress1, in any case). It lists the matches and
// matches crm.ErrDuplicate with errors.Is. Nothing was written.
type DuplicateError struct {
	Lead     crm.Ref
	Accounts []crm.Ref // accounts with the lead's company name
	Contacts []crm.Ref // contacts with the lead's email address
}

func (e *DuplicateError) Error() string {
	var parts []string
	if len(e.Accounts) > 0 {
		parts = append(parts, fmt.Sprintf("%d account(s) with its company name", len(e.Accounts)))
	}
	if len(e.Contacts) > 0 {
		parts = append(parts, fmt.Sprintf("%d contact(s) with its email address", len(e.Contacts)))
	}
	return fmt.Sprintf("%s: lead %s matches %s: link to one or create anyway", crm.ErrDuplicate, e.Lead.ID, strings.Join(parts, " and "))
}

// Is reports whether target is crm.ErrDuplicate.
func (e *DuplicateError) Is(target error) bool { return target == crm.ErrDuplicate }

// maxDuplicates bounds the matches a DuplicateError lists of each entity.
const maxDuplicates = 20

// Qualify qualifies an open lead (Dynamics' QualifyLead): it creates or
// attaches the account, contact and opportunity opts asks for, maps the
// lead's fields onto what it creates (the lead mapping: DefaultLeadMapping
// and MapField), links everything back (each record's originating lead,
// the lead's qualifying opportunity, customer, existing account and
// contact), starts the opportunity in the stage of its sales process
// after Qualify with the lead's Qualify visit in the stage history
// (QualifyOptions.Process) and moves the lead to Qualified, where it is
// read-only. It all runs as the named operation MessageQualifyLead
// (storage.Store.Execute), in one transaction: hooks registered for it
// see and may stop it, and a failure anywhere leaves nothing behind.
//
// version is the version the lead was read at: if someone changed it
// since, Qualify fails with crm.ErrConflict; storage.AnyVersion skips the
// check. Of two qualifications of one lead at once, one succeeds; the
// other fails with crm.ErrConflict, or crm.ErrInvalidTransition when it
// reads the lead already qualified.
//
// Errors: a *DuplicateError (crm.ErrDuplicate) for an account or contact
// to create that looks like one that exists, unless opts.OnDuplicate is
// CreateDuplicates; crm.ErrInvalidTransition for a lead that is not open;
// crm.ErrValidation for an opportunity without a customer, a sales
// process that is not valid or has no stage after Qualify, amounts in
// another currency than opts.Currency, a status reason that is not
// Qualified's, or a record that breaks its own rules; crm.ErrNotFound.
func (s *Leads) Qualify(ctx context.Context, id crm.ID, version int64, opts QualifyOptions) (QualifyResult, error) {
	var res QualifyResult
	err := s.store.Execute(ctx, MessageQualifyLead, opts.inputs(id, version), func(ctx context.Context, x *storage.Execution) error {
		req, err := qualifyInputs(x.Inputs)
		if err != nil {
			return err
		}
		// The function may run again on a retry: start afresh.
		if res, err = s.qualify(ctx, req); err != nil {
			return err
		}
		x.Outputs[QualifyOutputCreated] = append([]crm.Ref(nil), res.Created...)
		return nil
	})
	if err != nil {
		return QualifyResult{}, fmt.Errorf("qualify lead %s: %w", id, err)
	}
	return res, nil
}

// qualify does the work of the QualifyLead operation, inside its
// transaction.
func (s *Leads) qualify(ctx context.Context, req qualifyRequest) (QualifyResult, error) {
	st := s.store
	// The lead is locked first: a concurrent qualification waits here,
	// then finds a new version or a qualified lead.
	lead, err := st.Lock(ctx, LeadEntity, req.lead)
	if err != nil {
		return QualifyResult{}, err
	}
	if req.version != storage.AnyVersion && lead.Version != req.version {
		return QualifyResult{}, fmt.Errorf("%w: version %d was asked for, the stored version is %d", crm.ErrConflict, req.version, lead.Version)
	}
	if lead.State != crm.StateCode(LeadStateOpen) {
		return QualifyResult{}, &crm.TransitionError{Entity: LeadEntity, State: LeadState(lead.State).String(), Event: EventQualify}
	}
	p, err := s.plan(req, lead)
	if err != nil {
		return QualifyResult{}, err
	}
	process, err := qualifyProcess(req)
	if err != nil {
		return QualifyResult{}, err
	}
	if req.OnDuplicate != CreateDuplicates {
		if err := s.checkDuplicates(ctx, p, lead); err != nil {
			return QualifyResult{}, err
		}
	}
	res := QualifyResult{Account: p.account, Contact: p.contact}
	var created crm.Record // the last record create made
	create := func(entity string, fields crm.Fields) (crm.Ref, error) {
		rec, err := st.Create(ctx, crm.Record{Entity: entity, Fields: fields})
		if err != nil {
			return crm.Ref{}, err
		}
		created = rec
		ref := crm.Ref{Entity: entity, ID: created.ID}
		res.Created = append(res.Created, ref)
		return ref, nil
	}
	m := s.mapping.Load()
	if p.createAccount {
		f := m.apply(AccountEntity, lead.Fields)
		f[AccountName] = strings.TrimSpace(lead.Fields.String(LeadCompanyName))
		f[FieldOriginatingLead] = LeadRef(lead.ID)
		if res.Account, err = create(AccountEntity, f); err != nil {
			return QualifyResult{}, err
		}
	}
	if p.createContact {
		f := m.apply(ContactEntity, lead.Fields)
		f[FieldOriginatingLead] = LeadRef(lead.ID)
		if !res.Account.IsZero() {
			f[ContactParentCustomer] = res.Account
		}
		if res.Contact, err = create(ContactEntity, f); err != nil {
			return QualifyResult{}, err
		}
		// A new account's primary contact is the new contact; an
		// existing account is left as it is.
		if p.createAccount {
			if _, err := st.Update(ctx, crm.Record{Entity: AccountEntity, Header: crm.Header{ID: res.Account.ID, Version: storage.AnyVersion},
				Fields: crm.Fields{AccountPrimaryContact: res.Contact}}); err != nil {
				return QualifyResult{}, err
			}
		}
	}
	customer := res.Account
	if customer.IsZero() {
		customer = res.Contact
	}
	if req.CreateOpportunity {
		f, err := s.opportunityFields(req, m, lead, res, customer)
		if err != nil {
			return QualifyResult{}, err
		}
		// The lead's Qualify visit ends, and the opportunity's next
		// begins, no earlier than the lead's last change (visitTime).
		now := visitTime(ctx, st, lead)
		if process != nil {
			enter := process.enter(1, now)
			if _, mapped := f[OpportunityProbability]; mapped {
				delete(enter, OpportunityProbability)
			}
			maps.Copy(f, enter)
		}
		if res.Opportunity, err = create(OpportunityEntity, f); err != nil {
			return QualifyResult{}, err
		}
		if process != nil {
			// The lead went through the first stage: its visit counts in
			// the time spent in each stage (Pipeline.Stages).
			v := stageVisit{opportunity: created.ID, owner: created.Owner, stage: process.Stages[0].SalesStage,
				stepName: process.StepName(0), entered: lead.CreatedOn, left: now, dir: StageForward}
			if err := v.record(ctx, st); err != nil {
				return QualifyResult{}, err
			}
		}
	}
	links := crm.Fields{}
	for field, ref := range map[string]crm.Ref{LeadParentAccount: res.Account, LeadParentContact: res.Contact,
		LeadCustomer: customer, LeadQualifyingOpportunity: res.Opportunity} {
		if !ref.IsZero() {
			links[field] = ref
		}
	}
	rec, err := st.ChangeState(ctx, LeadRef(lead.ID), storage.StateChange{Event: EventQualify,
		Status: crm.StatusCode(req.Status), Version: lead.Version, Fields: links})
	if err != nil {
		return QualifyResult{}, err
	}
	if res.Lead, err = decodeLead(rec); err != nil {
		return QualifyResult{}, err
	}
	return res, nil
}

// qualifyProcess returns the sales process the request's opportunity
// enters (nil for none): the default process unless the request names
// one, the zero Process naming none. It must be valid and have a stage
// after the lead's.
func qualifyProcess(req qualifyRequest) (*Process, error) {
	switch {
	case !req.CreateOpportunity:
		return nil, nil
	case req.Process == nil:
		p := DefaultProcess()
		return &p, nil
	case req.Process.Name == "" && len(req.Process.Stages) == 0:
		return nil, nil
	}
	if err := req.Process.Validate(); err != nil {
		return nil, crm.Invalid(LeadEntity, QualifyInputProcess, err.Error())
	}
	if len(req.Process.Stages) < 2 {
		return nil, crm.Invalid(LeadEntity, QualifyInputProcess,
			"has one stage, the lead's: the opportunity needs a stage after it")
	}
	return req.Process, nil
}

// qualifyPlan is what a qualification attaches and creates.
type qualifyPlan struct {
	account, contact             crm.Ref // existing records to attach
	createAccount, createContact bool
}

// plan decides what a qualification attaches and creates: an existing
// account or contact (the request's, else the lead's) wins over a new
// one, and no account is created for a lead without a company name.
func (s *Leads) plan(req qualifyRequest, lead crm.Record) (qualifyPlan, error) {
	verr := &crm.ValidationError{Entity: LeadEntity}
	p := qualifyPlan{
		account: existing(req.ExistingAccount, lead.Fields.Ref(LeadParentAccount), AccountEntity, QualifyInputExistingAccount, verr),
		contact: existing(req.ExistingContact, lead.Fields.Ref(LeadParentContact), ContactEntity, QualifyInputExistingContact, verr),
	}
	p.createAccount = p.account.IsZero() && req.CreateAccount && strings.TrimSpace(lead.Fields.String(LeadCompanyName)) != ""
	p.createContact = p.contact.IsZero() && req.CreateContact
	return p, verr.Err()
}

// existing returns the record to attach: given, else the lead's own, of
// entity (a Ref without an entity names one of entity).
func existing(given, own crm.Ref, entity, input string, verr *crm.ValidationError) crm.Ref {
	if given.IsZero() {
		return own
	}
	if given.Entity == "" {
		given.Entity = entity
	}
	if given.Entity != entity {
		verr.Add(input, "is a %s: it must be a %s", given.Entity, entity)
	}
	return given
}

// checkDuplicates looks for accounts and contacts like the ones p would
// create and returns a *DuplicateError listing them.
func (s *Leads) checkDuplicates(ctx context.Context, p qualifyPlan, lead crm.Record) error {
	dup := &DuplicateError{Lead: LeadRef(lead.ID)}
	find := func(entity, field, value string) ([]crm.Ref, error) {
		if value == "" {
			return nil, nil
		}
		where, exact := caseless(field, value)
		q := crm.Query{Entity: entity, Where: where}
		if exact {
			q.Limit = maxDuplicates
		}
		var out []crm.Ref
		for rec, err := range s.store.Iterate(ctx, q) {
			if err != nil {
				return nil, fmt.Errorf("look for duplicate %ss: %w", entity, err)
			}
			if !strings.EqualFold(rec.Fields.String(field), value) {
				continue
			}
			if out = append(out, crm.Ref{Entity: entity, ID: rec.ID}); len(out) == maxDuplicates {
				break
			}
		}
		return out, nil
	}
	var err error
	if p.createAccount {
		if dup.Accounts, err = find(AccountEntity, AccountName, strings.TrimSpace(lead.Fields.String(LeadCompanyName))); err != nil {
			return err
		}
	}
	if p.createContact {
		if dup.Contacts, err = find(ContactEntity, ContactEmail, strings.TrimSpace(lead.Fields.String(LeadEmail))); err != nil {
			return err
		}
	}
	if len(dup.Accounts) > 0 || len(dup.Contacts) > 0 {
		return dup
	}
	return nil
}

// caseless returns a condition matching the records whose field is
// value in any case, and, unless exact, maybe others, which the caller
// compares with strings.EqualFold. The stores fold the case of ASCII
// letters only (crm.OpEq): a value with other letters that have a case
// ("École", "jürgen") becomes a LIKE pattern where each of them matches
// any one character.
func caseless(field, value string) (where crm.Condition, exact bool) {
	var b strings.Builder
	folded := false
	for _, r := range value {
		switch {
		case r >= utf8.RuneSelf && unicode.SimpleFold(r) != r:
			b.WriteByte('_')
			folded = true
		case r == '%' || r == '_' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	if !folded {
		return crm.Eq(field, value), true
	}
	return crm.Like(field, b.String()), false
}

// opportunityFields returns the fields of the opportunity a qualification
// creates.
func (s *Leads) opportunityFields(req qualifyRequest, m *leadMapping, lead crm.Record, res QualifyResult, customer crm.Ref) (crm.Fields, error) {
	if !req.OpportunityCustomer.IsZero() {
		customer = req.OpportunityCustomer
	}
	if customer.IsZero() {
		return nil, crm.Invalid(OpportunityEntity, OpportunityCustomer,
			"is needed: create or attach an account or a contact, or name the opportunity's customer (QualifyOptions.OpportunityCustomer)")
	}
	f := m.apply(OpportunityEntity, lead.Fields)
	f[OpportunityCustomer] = customer
	f[FieldOriginatingLead] = LeadRef(lead.ID)
	if !res.Account.IsZero() {
		f[OpportunityParentAccount] = res.Account
	}
	if !res.Contact.IsZero() {
		f[OpportunityParentContact] = res.Contact
	}
	if req.Currency != "" {
		verr := &crm.ValidationError{Entity: OpportunityEntity}
		for _, name := range slices.Sorted(maps.Keys(f)) {
			if money, ok := f[name].(crm.Money); ok && money.Currency != req.Currency {
				verr.Add(name, "is in %s, not in the opportunity's currency %s", money.Currency, req.Currency)
			}
		}
		if err := verr.Err(); err != nil {
			return nil, err
		}
	}
	return f, nil
}
