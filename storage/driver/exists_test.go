package driver_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage/driver"
)

func TestExistsMatchesTheRecordsThatReferToOne(t *testing.T) {
	reg := testRegistry(t)
	now := date(2024, 5, 10)
	parent := crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID()}, Fields: crm.Fields{"name": "Paris HQ"}}
	children := []driver.Row{driver.RecordRow(
		&crm.Record{Entity: "account", Header: crm.Header{ID: crm.NewID()}, Fields: crm.Fields{"name": "Branch", "parentaccountid": parent.Ref()}},
	)}
	var asked []string
	refer := func(entity, lookup string, target crm.Ref) ([]driver.Row, error) {
		asked = append(asked, entity+"."+lookup+"="+target.String())
		if entity == "account" && lookup == "parentaccountid" && target == parent.Ref() {
			return children, nil
		}
		return nil, nil
	}
	tests := []struct {
		name  string
		where crm.Filter
		want  bool
	}{
		{"any child", crm.Any("account", "parentaccountid", nil), true},
		{"any child matching", crm.Any("account", "parentaccountid", crm.Eq("name", "BRANCH")), true},
		{"no child matching", crm.Any("account", "parentaccountid", crm.Eq("name", "other")), false},
		{"none", crm.None("account", "parentaccountid", nil), false},
		{"none matching", crm.None("account", "parentaccountid", crm.Eq("name", "other")), true},
		{"no children through another lookup", crm.Any("contact", "parentcustomerid", nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan(t, reg, tt.where, now)
			got, err := p.MatcherWith(nil, refer)(driver.RecordRow(&parent))
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	require.Contains(t, asked, "contact.parentcustomerid="+parent.Ref().String(), "a polymorphic lookup is asked for entity and ID")

	t.Run("a matcher without Referrers fails rather than guess", func(t *testing.T) {
		_, err := plan(t, reg, crm.Any("account", "parentaccountid", nil), now).Match(parent, nil)
		require.ErrorContains(t, err, "Referrers")
	})
}

func TestPlanChecksExists(t *testing.T) {
	reg := testRegistry(t)
	tests := []struct {
		name  string
		where crm.Filter
		field string
	}{
		{"unknown entity", crm.Any("nothing", "parentaccountid", nil), "nothing[parentaccountid]"},
		{"not a lookup", crm.Any("account", "name", nil), "account[name]"},
		{"a lookup that cannot point here", crm.Any("account", "primarycontactid", nil), "account[primarycontactid]"},
		{"bad inner field", crm.None("account", "parentaccountid", crm.Eq("nickname", "x")), "account[parentaccountid].nickname"},
		{"nil pointer", (*crm.Exists)(nil), "where"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, planErr(t, reg, crm.Query{Where: tt.where}), tt.field)
		})
	}
	t.Run("exists count with related against MaxRelated", func(t *testing.T) {
		g := crm.Group{}
		for i := range crm.MaxRelated {
			if i%2 == 0 {
				g.Filters = append(g.Filters, crm.Any("account", "parentaccountid", nil))
			} else {
				g.Filters = append(g.Filters, crm.Through("parentaccountid", "", nil))
			}
		}
		_, err := driver.PlanQuery(reg, crm.Query{Entity: "account", Where: g}, date(2024, 1, 1), nil, driver.Principal{})
		require.NoError(t, err)
		g.Filters = append(g.Filters, crm.None("account", "parentaccountid", nil))
		require.Contains(t, planErr(t, reg, crm.Query{Where: g}), "where")
	})
}
