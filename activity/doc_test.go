package activity_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/crmtest"
)

// TestDocDiagramsAreCurrent redraws the lifecycles from their tables and
// fails if the drawings in doc.go differ. The doc draws three: the
// lifecycle most types share, the email's and the appointment's; every
// type's table is checked against the drawing it is documented under.
func TestDocDiagramsAreCurrent(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	drawn := crmtest.Diagrams(string(src))
	require.Len(t, drawn, 3, "doc.go should show the shared, the email and the appointment lifecycle")
	groups := [][]func() *crm.Lifecycle{
		{activity.PhoneCallLifecycle, activity.TaskLifecycle, activity.LetterLifecycle, activity.FaxLifecycle,
			activity.CampaignActivityLifecycle, func() *crm.Lifecycle { return activity.SimpleLifecycle("Completed") }},
		{activity.EmailLifecycle},
		{activity.AppointmentLifecycle, activity.ServiceAppointmentLifecycle},
	}
	for i, g := range groups {
		for _, lc := range g {
			l := lc()
			for j := range l.States { // drawn by name: one naming for the check
				if l.States[j].Code == crm.StateCode(activity.StateCompleted) {
					l.States[j].Name = "Completed"
				}
			}
			want, err := l.Mermaid()
			require.NoError(t, err)
			require.Equal(t, want, drawn[i], "lifecycle drawing %d in doc.go is out of date; paste:\n%s", i+1, want)
		}
	}
}
