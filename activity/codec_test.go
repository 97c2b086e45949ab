package activity_test

import (
	"testing"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/storagetest"
)

// Activity's members carry every common field, so a common field added to
// the metadata without a member fails here; the types' own fields travel
// in Activity.Fields, as a host's custom fields travel in sales' Extra
// (an update leaves one missing from Fields as it is), which the check
// of each type below round-trips.
func TestCodecCoversEveryType(t *testing.T) {
	reg := crm.NewRegistry()
	schema(t, reg)
	// The lookups other modules give targets get one here, so that the
	// check has values to round-trip.
	for _, l := range [][2]string{{activity.PointerEntity, activity.FieldSeries},
		{activity.OpportunityClose, activity.FieldOpportunity}, {activity.OpportunityClose, activity.FieldCompetitor},
		{activity.QuoteClose, activity.FieldQuote}, {activity.OrderClose, activity.FieldOrder},
		{activity.IncidentResolution, activity.FieldIncident},
		{activity.ServiceAppointment, activity.FieldService}, {activity.ServiceAppointment, activity.FieldSite}} {
		if err := reg.AddTargets(l[0], l[1], "account"); err != nil {
			t.Fatal(err)
		}
	}
	// A type with the common fields alone checks the members.
	if err := activity.RegisterType(reg, activity.CustomType{Name: "plain"}); err != nil {
		t.Fatal(err)
	}
	t.Run("common fields", func(t *testing.T) { storagetest.CheckCodec(t, reg, activity.Codec("plain")) })
	for _, typ := range allTypes() {
		t.Run(typ, func(t *testing.T) {
			e, err := reg.Entity(typ)
			if err != nil {
				t.Fatal(err)
			}
			own := crm.Fields{}
			for _, f := range e.Fields {
				if f.Compute == nil && !isCommon(f.Name) {
					own[f.Name] = "x" // any value: the codec passes it on as it is
				}
			}
			rec := activity.Codec(typ).Encode(activity.Activity{Fields: own})
			back, err := activity.Codec(typ).Decode(rec)
			if err != nil {
				t.Fatal(err)
			}
			for name := range own {
				if back.Fields[name] != "x" {
					t.Errorf("field %s of %s does not round-trip through Fields", name, typ)
				}
			}
		})
	}
}

func isCommon(name string) bool {
	p := activity.PointerMetadata()
	for _, f := range p.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}
