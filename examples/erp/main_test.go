package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestERPStory(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	for _, line := range []string{
		"one database, the ERP's tables and crmkit's side by side: [credit_line crm_account crm_activityparty crm_activitypointer crm_appointment crm_campaignactivity crm_campaignresponse crm_competitor crm_contact crm_crmkit_metadata crm_crmkit_schema_version crm_discount crm_discounttype crm_email crm_fax crm_incidentresolution crm_invoice crm_invoicedetail crm_lead crm_letter crm_numbersequence crm_opportunity crm_opportunityclose crm_opportunitycompetitors crm_opportunityproduct crm_opportunitystagehistory crm_orderclose crm_phonecall crm_pricelevel crm_product crm_productassociation crm_productpricelevel crm_quote crm_quoteclose crm_quotedetail crm_recurringappointmentmaster crm_salesorder crm_salesorderdetail crm_serviceappointment crm_task crm_uom crm_uomschedule]",
		"opening Globex failed (credit line for Globex must be positive): rolled back",
		`opened Initech: credit line 5000.00 USD and CRM account "Initech" in one transaction`,
		"the ERP holds 1 credit line(s), crmkit 1 account(s)",
	} {
		require.Contains(t, out.String(), line+"\n")
	}
}
