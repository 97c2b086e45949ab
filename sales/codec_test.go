package sales_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage/storagetest"
)

// The typed records carry every field of their entity's metadata, so a
// field added to one and not the other fails here.
func TestCodecsCoverTheirEntities(t *testing.T) {
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		t.Fatal(err)
	}
	t.Run("account", func(t *testing.T) { storagetest.CheckCodec(t, reg, sales.AccountCodec()) })
	t.Run("contact", func(t *testing.T) { storagetest.CheckCodec(t, reg, sales.ContactCodec()) })

	t.Run("a codec that drops or swaps fields fails, naming them", func(t *testing.T) {
		codec := sales.AccountCodec()
		decode := codec.Decode
		codec.Decode = func(rec crm.Record) (sales.Account, error) {
			a, err := decode(rec)
			a.Description = ""                      // dropped on decode
			a.Email, a.Website = a.Website, a.Email // swapped
			a.Version = 0
			return a, err
		}
		encode := codec.Encode
		codec.Encode = func(a sales.Account) crm.Record {
			rec := encode(a)
			delete(rec.Fields, sales.AccountCreditOnHold) // not encoded at all
			return rec
		}
		rt := &recordingTB{TB: t}
		storagetest.CheckCodec(rt, reg, codec)
		got := strings.Join(rt.errors, "\n")
		for _, want := range []string{
			"field description changes",
			"field emailaddress1 changes",
			"field websiteurl changes",
			"field creditonhold is dropped",
			"zero value leaves out field creditonhold",
			"the header comes back",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("CheckCodec did not report %q; it reported:\n%s", want, got)
			}
		}
		if strings.Contains(got, "field name ") {
			t.Errorf("CheckCodec reported a field the codec carries:\n%s", got)
		}
	})
}

// recordingTB keeps the failures reported to it instead of failing.
type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
