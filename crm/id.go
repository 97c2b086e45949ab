package crm

import (
	"fmt"

	"github.com/google/uuid"
)

// ID identifies a record. IDs are UUIDv7: time-ordered, so new records land
// at the end of an index instead of scattering across it.
type ID = uuid.UUID

// NilID is the zero ID. No stored record has it.
var NilID ID

// NewID returns a new UUIDv7.
func NewID() ID {
	// uuid.NewV7 only fails when the system's random source fails, which
	// leaves nothing sensible to do but stop.
	return uuid.Must(uuid.NewV7())
}

// ParseID parses the canonical text form of an ID.
func ParseID(s string) (ID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return NilID, fmt.Errorf("parse id %q: %w", s, err)
	}
	return id, nil
}

// Ref points at one record: a lookup value, or a record's owner. Entity is
// the logical name of the record's entity.
type Ref struct {
	Entity string
	ID     ID
}

// IsZero reports whether r points nowhere.
func (r Ref) IsZero() bool { return r.ID == NilID }

func (r Ref) String() string {
	if r.IsZero() {
		return "<none>"
	}
	return r.Entity + "/" + r.ID.String()
}
