package sqlstore_test

import (
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
	"github.com/crmkit/crmkit/storage/sqlstore"
	"github.com/crmkit/crmkit/storage/storagetest"
)

// TestConformancePostgresCopy runs the conformance suite on PostgreSQL
// with INSERTs of two rows, so that every write of three records or more
// goes through COPY: the bulk path keeps every guarantee the INSERTs do.
func TestConformancePostgresCopy(t *testing.T) {
	requirePostgres(t, postgresDSN())
	storagetest.Run(t, func(t *testing.T, reg *crm.Registry) driver.Driver {
		return postgresOpener(t).open(t, reg, sqlstore.WithBatchRows(2))
	})
}
