package sales

import (
	"context"
	"slices"
	"time"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// CloseOptions are the details of winning or closing a quote, or of
// fulfilling or canceling an order: the close date and the close
// activity Dynamics records (quoteclose, orderclose).
type CloseOptions struct {
	// Date is the close date; zero: today, the store clock's date in
	// UTC.
	Date time.Time
	// Subject and Description are the close activity's; Subject
	// defaults to the new status and the document's name.
	Subject     string
	Description string
}

// closeStep is one closing operation of a document.
type closeStep struct {
	kind           *docKind
	message, event string
	// activityType and activityField are the close activity's type and
	// its lookup to the document (activity.QuoteClose, FieldQuote).
	activityType, activityField string
}

// inputs returns the inputs of a document's close operation.
func (c closeStep) inputs(id crm.ID, status crm.StatusCode, o CloseOptions) map[string]any {
	return closeInputs(c.kind.idInput, id, status, nil, o.Date, o.Subject, o.Description)
}

// run closes document id as the named operation: it fires the event with
// the status reason and the close date, and records the completed close
// activity regarding the document. It returns the document as stored
// and the activity.
func (c closeStep) run(ctx context.Context, st *storage.Store, id crm.ID, version int64, status crm.StatusCode, o CloseOptions) (crm.Record, crm.Ref, error) {
	var (
		out crm.Record
		ref crm.Ref
	)
	closes := storage.NewTable(st, activity.Codec(c.activityType))
	err := st.Execute(ctx, c.message, c.inputs(id, status, o), func(ctx context.Context, x *storage.Execution) error {
		in, err := readCloseInputs(x.Inputs, c.kind.idInput, c.kind.header)
		if err != nil {
			return err
		}
		date := closeDate(ctx, st, in.date)
		fields := crm.Fields{}
		if slices.Contains(c.kind.closeMessages, c.message) {
			fields[c.kind.closeDate] = date // closedon, datefulfilled
		}
		out, err = st.ChangeState(ctx, crm.Ref{Entity: c.kind.header, ID: in.id},
			storage.StateChange{Event: c.event, Status: in.status, Version: version, Fields: fields})
		if err != nil {
			return err
		}
		subject := in.subject
		if subject == "" {
			subject = statusName(st, c.kind.header, out.Status) + ": " + out.Fields.String(DocumentName)
		}
		a := activity.Activity{Type: c.activityType, Subject: subject, Description: in.description,
			Regarding: out.Ref(), Fields: crm.Fields{c.activityField: out.Ref()}}
		if c.kind == quoteKind {
			a.Fields[activity.FieldQuoteRevision] = out.Fields.Int(QuoteRevision)
		}
		if ref, err = recordClose(ctx, closes, a, date); err != nil {
			return err
		}
		x.Outputs[CloseOutputActivity] = ref
		return nil
	})
	return out, ref, err
}

// statusName names a status reason of entity.
func statusName(st *storage.Store, entity string, status crm.StatusCode) string {
	e, err := st.Registry().Entity(entity)
	if err == nil && e.Lifecycle != nil {
		if s, ok := e.Lifecycle.Status(status); ok {
			return s.Name
		}
	}
	return "Closed"
}

// closesOf returns the close activities of type typ whose lookup field
// names doc, newest first.
func closesOf(ctx context.Context, st *storage.Store, typ, field string, doc crm.Ref) ([]activity.Activity, error) {
	return collect(storage.NewTable(st, activity.Codec(typ)).Iterate(ctx, crm.Query{
		Where:   crm.Eq(field, doc),
		OrderBy: []crm.Order{crm.Desc(activity.FieldActualEnd), crm.Desc(crm.FieldCreatedOn), crm.Desc(crm.FieldID)},
	}))
}
