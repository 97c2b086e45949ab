package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMonthEnd(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	require.Equal(t, `== 02:00 UTC: The overnight import
the import job names no caller: create account: permission denied: the context names no caller (use crm.WithCaller, crm.WithScope or crm.AsSystem)
  Contoso Ltd: revenue 2000000.00 USD = 2000000.00 USD at rate 1
  Contoso Europe: revenue 400000.00 EUR = 500000.00 USD at rate 0.8
  Fabrikam GmbH: revenue 1200000.00 EUR = 1500000.00 USD at rate 0.8
imported 3 accounts and 4 contacts as the system user
== 16:00 UTC: Pricing
Archive US for Contoso Ltd: 40000 GB at 0.0125 USD per GB (= 0.0125 USD), 500.00 USD a month
Backup EU for Contoso Europe: 8000 GB at 0.0115 EUR per GB (= 0.0144 USD), 92.00 EUR a month
a price of 0.01255 USD is refused, never rounded: nw_pricepergb has 5 decimal places, more than the pricing precision 4
== 16:00 UTC: Primary contacts
James makes Kenji Sato (Contoso Europe) primary contact of Contoso Ltd:
  through the service, sales.Accounts: refused: primarycontactid is Kenji Sato, who is not a contact of this account
  through a typed storage.Table: refused: primarycontactid is Kenji Sato, who is not a contact of this account
  through the generic storage.Store: refused: primarycontactid is Kenji Sato, who is not a contact of this account
== 17:00 UTC: The merge
merging Contoso Ltd into itself is refused before any transaction begins: Merge: pre-validation hook on Merge: merge an account into another one
James merges Contoso Europe into Contoso Ltd:
  finance's hook sees Merge (approved by nobody, 3 moved) write contact Kenji Sato, contact Marta Ruiz, nw_subscription Backup EU, account Contoso Europe
  refused: Merge: post-operation hook on Merge: moving 1 subscription(s) changes who is billed: finance must approve
  nothing written: Contoso Europe is Active, version 1, with 2 contacts
James asks finance, and merges again:
  finance's hook sees Merge (approved by Priya, 3 moved) write contact Kenji Sato, contact Marta Ruiz, nw_subscription Backup EU, account Contoso Europe
  account team told: Kenji Sato changed company (by Merge)
  account team told: Marta Ruiz changed company (by Merge)
Contoso Europe is Inactive, "Merged into Contoso Ltd": version 1 to 2, one write for the state and the note
a plain update of the merged account is refused: invalid transition: account in state "Inactive" cannot "update"
Kenji's new job title: the account team is not told
Kenji Sato, Head of IT, EMEA, is now primary contact of Contoso Ltd
== 20:00 UTC: Month end
Aroha adds Kiwi Backup Ltd on Wed 1 Apr 09:00, Auckland time
accounts created this month for James (Tue 31 Mar): Contoso Europe, Contoso Ltd, Fabrikam GmbH, Kiwi Backup Ltd
accounts created this month for Aroha (Wed 1 Apr): Kiwi Backup Ltd
revenue of the active accounts, dollars and euros together: 3500000.00 USD
the euro moves to 0.75: Fabrikam stays at 1500000.00 USD (rate 0.8), the total at 3500000.00 USD
Fabrikam's revenue revised to 1260000.00 EUR: at 0.75, 1680000.00 USD
`, out.String())
}
