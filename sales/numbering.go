package sales

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/google/uuid"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// NumberSequenceEntity is the logical name of the counter record behind
// each numbering sequence (see Numbering).
const NumberSequenceEntity = "numbersequence"

// Logical field names of numbersequence.
const (
	// NumberSequenceName is the sequence's name ("quote"): required,
	// immutable, a logical name, and the entity's alternate key.
	NumberSequenceName = "name"
	// NumberSequenceLastNumber is the last number given out. It never
	// goes back, whichever door a write comes through, except in an
	// import.
	NumberSequenceLastNumber = "lastnumber"
	// NumberSequenceNameKey is the alternate key on name.
	NumberSequenceNameKey = "name"
)

// The sequences of sales documents, which Numbering formats by default
// (DefaultNumberFormat).
const (
	SequenceQuote   = "quote"
	SequenceOrder   = "salesorder"
	SequenceInvoice = "invoice"
)

// MaxNumber is the largest number a sequence gives out: 18 digits, the
// most NumberFormat.Digits pads to.
const MaxNumber int64 = 999_999_999_999_999_999

// maxDigits is the widest NumberFormat.Digits: MaxNumber's width.
const maxDigits = 18

// DefaultStart is the first number of a sequence whose format gives no
// Start, as in Dynamics' auto-numbering (QUO-01000-...).
const DefaultStart int64 = 1000

// numberSequenceSpace is the name space of the counters' IDs (see
// NumberSequenceID). It is fixed forever: changing it would orphan every
// stored counter and restart every sequence.
var numberSequenceSpace = uuid.MustParse("6b1e3c1a-8f0d-4c8e-9a57-2f4d1c9e7b30")

// NumberSequenceID returns the ID of the counter record of the named
// sequence: a name-based UUID (version 5, SHA-1) in a fixed name space,
// so that the counter is read and locked by ID without a query, and two
// transactions that both create it first collide on its primary key. A
// numbersequence record must have this ID; the write path refuses any
// other.
func NumberSequenceID(name string) crm.ID {
	return uuid.NewSHA1(numberSequenceSpace, []byte(name))
}

// NumberSequenceMetadata returns the numbersequence entity: the counter
// of one numbering sequence, with no state (as a competitor), and its
// rules: its ID derives from its name, and its last number never goes
// back. Each call returns a new value.
func NumberSequenceMetadata() *crm.Entity {
	return &crm.Entity{
		Name:        NumberSequenceEntity,
		Label:       "Number Sequence",
		PrimaryName: NumberSequenceName,
		Fields: []crm.Field{
			// A logical name is at most 50 characters.
			{Name: NumberSequenceName, Label: "Name", Type: crm.TypeText, MaxLength: 50, Required: true, Immutable: true},
			{Name: NumberSequenceLastNumber, Label: "Last Number", Type: crm.TypeInteger, Required: true,
				Min: decimalPtr(0), Max: decimalPtr(MaxNumber)},
		},
		Keys:  []crm.Key{{Name: NumberSequenceNameKey, Fields: []string{NumberSequenceName}}},
		Rules: numberSequenceRules(),
	}
}

// numberSequenceRules returns the numbersequence's rules.
func numberSequenceRules() []crm.Rule {
	return []crm.Rule{{
		Name:   "a number sequence's ID derives from its name",
		Fields: []string{NumberSequenceName},
		Check:  checkSequenceName,
	}, {
		Name:   "a number sequence never goes back",
		Fields: []string{NumberSequenceLastNumber},
		Check:  checkSequenceForward,
	}}
}

// checkSequenceName refuses a name that is not a logical name, and a
// record whose ID is not NumberSequenceID of its name: a counter under
// another ID would not be the one Numbering locks, and its name would
// take the key the real counter needs. Keys compare text folded, so
// names are lower case: "Quote" and "quote" would be one key under two
// IDs.
func checkSequenceName(_ context.Context, w crm.Write) error {
	name := w.Target.Fields.String(NumberSequenceName)
	if !crm.ValidName(name) {
		return crm.Invalid(NumberSequenceEntity, NumberSequenceName,
			fmt.Sprintf("%q is not a logical name (lower-case letter, then letters, digits and '_', at most 50)", name))
	}
	if w.Target.ID != NumberSequenceID(name) {
		return crm.Invalid(NumberSequenceEntity, NumberSequenceName,
			fmt.Sprintf("%q needs the ID %s (NumberSequenceID), not %s", name, NumberSequenceID(name), w.Target.ID))
	}
	return nil
}

// checkSequenceForward refuses a last number below the stored one, which
// would give out numbers again. An import restores what it is given.
func checkSequenceForward(_ context.Context, w crm.Write) error {
	if w.Before == nil || w.Import {
		return nil
	}
	before, after := w.Before.Fields.Int(NumberSequenceLastNumber), w.Target.Fields.Int(NumberSequenceLastNumber)
	if after < before {
		return crm.Invalid(NumberSequenceEntity, NumberSequenceLastNumber,
			fmt.Sprintf("goes back from %d to %d: numbers given out would repeat", before, after))
	}
	return nil
}

// NumberFormat is how a sequence's numbers are written.
type NumberFormat struct {
	// Prefix starts every number, followed by '-': letters, digits, '_'
	// and '-' only (unless Format is set), so a number is safe in a file
	// name or a URL. Empty: no prefix and no dash.
	Prefix string
	// Start is the first number given out; 0 means DefaultStart. Raising
	// it later moves a sequence on to it; lowering it does nothing.
	Start int64
	// Digits pads the number with zeros to this width (0..18; 0 pads
	// nothing). Longer numbers are written in full.
	Digits int
	// Format, when set, writes the number instead, ignoring Prefix and
	// Digits: a host's own scheme ("2026/Q/1000"). It must give distinct
	// text for distinct numbers, or documents will share one.
	Format func(n int64) string
}

// Number returns n written in the format: Prefix, '-', then n padded to
// Digits ("QUO-01000"), or what Format returns.
func (f NumberFormat) Number(n int64) string {
	if f.Format != nil {
		return f.Format(n)
	}
	s := fmt.Sprintf("%0*d", f.Digits, n)
	if f.Prefix == "" {
		return s
	}
	return f.Prefix + "-" + s
}

// start returns the first number of the sequence.
func (f NumberFormat) start() int64 {
	if f.Start == 0 {
		return DefaultStart
	}
	return f.Start
}

// Validate reports what is wrong with f: Digits outside 0..18, Start
// outside 0..MaxNumber, or (without Format) a Prefix with a character
// other than an ASCII letter, a digit, '_' or '-'.
func (f NumberFormat) Validate() error {
	var errs []error
	if f.Digits < 0 || f.Digits > maxDigits {
		errs = append(errs, fmt.Errorf("digits %d outside 0..%d", f.Digits, maxDigits))
	}
	if f.Start < 0 || f.Start > MaxNumber {
		errs = append(errs, fmt.Errorf("start %d outside 0..%d", f.Start, MaxNumber))
	}
	if f.Format == nil {
		for _, c := range f.Prefix {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
				errs = append(errs, fmt.Errorf("prefix %q has %q: only letters, digits, '_' and '-' (or set Format)", f.Prefix, c))
				break
			}
		}
	}
	return errors.Join(errs...)
}

// DefaultNumberFormat returns the format of one of the sales documents'
// sequences (SequenceQuote, SequenceOrder, SequenceInvoice) as Dynamics
// writes them, without its random suffix: QUO-01000, ORD-01000,
// INV-01000. It reports false for any other name.
func DefaultNumberFormat(sequence string) (NumberFormat, bool) {
	prefix, ok := map[string]string{SequenceQuote: "QUO", SequenceOrder: "ORD", SequenceInvoice: "INV"}[sequence]
	if !ok {
		return NumberFormat{}, false
	}
	return NumberFormat{Prefix: prefix, Start: DefaultStart, Digits: 5}, true
}

// Numbering gives out the numbers of quotes, orders, invoices and any
// sequence a host configures: unique and increasing within a sequence,
// under any concurrency, on every store. Each sequence keeps its last
// number in a numbersequence record, which Next locks, so transactions
// that number documents of one sequence take turns for as long as the
// transaction that numbered first runs.
//
// Numbers may have gaps: a number is given back only when the
// transaction that drew it rolls back, and a document deleted, or a
// number drawn in a transaction that then committed without using it,
// leaves a hole. Deleting a counter record restarts its sequence at
// Start: documents that must never share a number should also keep it in
// an alternate key.
//
// A Numbering is safe for concurrent use.
type Numbering struct {
	st      *storage.Store
	formats map[string]NumberFormat
}

// NewNumbering returns the numbering of st, whose registry must hold the
// sales entities (Register), with formats by sequence name: the three
// sales sequences not given take their defaults (DefaultNumberFormat);
// any other name, a logical name, is a sequence of the host's. A bad name
// or format fails with an error naming it.
func NewNumbering(st *storage.Store, formats map[string]NumberFormat) (*Numbering, error) {
	if _, err := st.Registry().Entity(NumberSequenceEntity); err != nil {
		return nil, fmt.Errorf("new numbering: %w (register the sales entities)", err)
	}
	all := map[string]NumberFormat{}
	for _, name := range []string{SequenceQuote, SequenceOrder, SequenceInvoice} {
		all[name], _ = DefaultNumberFormat(name)
	}
	maps.Copy(all, formats)
	var errs []error
	for name, f := range formats {
		if !crm.ValidName(name) {
			errs = append(errs, fmt.Errorf("sequence %q: not a logical name (lower-case letter, then letters, digits and '_', at most 50)", name))
		}
		if err := f.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("sequence %q: %w", name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("new numbering: %w", err)
	}
	return &Numbering{st: st, formats: all}, nil
}

// Format returns the format of the named sequence, and the zero
// NumberFormat for a sequence Numbering does not know.
func (n *Numbering) Format(sequence string) NumberFormat { return n.formats[sequence] }

// Next draws the next number of the named sequence and returns it
// written in the sequence's format: Start on first use, then one more
// than the last number given out (or Start, if it was raised past it).
//
// It runs inside the transaction ctx carries, so the number is given back
// if that transaction rolls back; without one it runs in its own. Two
// transactions that use a sequence for the first time at once both create
// its counter; the second fails with an error matching storage.ErrRetry
// (and crm.ErrDuplicate), on PostgreSQL after the database aborted its
// transaction. The outermost storage.Store.InTx runs the transaction
// again, and then the counter exists: a caller's closure must return the
// error Next gave it. A sequence Numbering has no format for fails with
// crm.ErrNotFound.
func (n *Numbering) Next(ctx context.Context, sequence string) (string, error) {
	f, ok := n.formats[sequence]
	if !ok {
		return "", fmt.Errorf("next %s number: no format for the sequence: %w", sequence, crm.ErrNotFound)
	}
	var number int64
	err := n.st.InTx(ctx, func(ctx context.Context) error {
		var err error
		number, err = n.draw(ctx, sequence, f.start())
		return err
	})
	if err != nil {
		return "", fmt.Errorf("next %s number: %w", sequence, err)
	}
	return f.Number(number), nil
}

// draw moves the sequence's counter on, inside the transaction ctx
// carries, and returns the number it gives out.
func (n *Numbering) draw(ctx context.Context, sequence string, start int64) (int64, error) {
	id := NumberSequenceID(sequence)
	rec, err := n.st.Lock(ctx, NumberSequenceEntity, id)
	if errors.Is(err, crm.ErrNotFound) {
		_, err = n.st.Create(ctx, crm.Record{
			Entity: NumberSequenceEntity,
			Header: crm.Header{ID: id},
			Fields: crm.Fields{NumberSequenceName: sequence, NumberSequenceLastNumber: start},
		})
		if errors.Is(err, crm.ErrDuplicate) {
			// Another transaction created the counter since the lock
			// found none. On PostgreSQL this one is aborted; on any
			// store the failed write has poisoned it: only running it
			// again from the start, when the counter exists, helps.
			return 0, fmt.Errorf("counter created by another transaction: %w: %w", storage.ErrRetry, err)
		}
		if err != nil {
			return 0, err
		}
		return start, nil
	}
	if err != nil {
		return 0, err
	}
	last := rec.Fields.Int(NumberSequenceLastNumber)
	if last >= MaxNumber {
		return 0, crm.Invalid(NumberSequenceEntity, NumberSequenceLastNumber,
			fmt.Sprintf("is %d: the sequence has given out its last number", last))
	}
	next := max(last+1, start)
	rec.Fields = crm.Fields{NumberSequenceLastNumber: next}
	if _, err := n.st.Update(ctx, rec); err != nil {
		return 0, err
	}
	return next, nil
}
