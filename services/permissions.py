"""Who may see and change the services records: their rows in communities.permissions.

Paired assistance and volunteers hold personal data (issue #5): their models say so with
`personal_data = True`, and communities.permissions keeps them from township staff, judges
and the public; a clerk sees their own community's, the county all. Service records and
time-bank entries change only through services.domain: read-only in the admin. Networks,
outlets, training, processing work and re-employment follow the registry's scope.
Admission requests and commendations: county edits, all staff read.

These are the rows of the policy, registered at start-up (services.apps); the views do not
read them here but ask services.access, which applies them to a request.
"""

from communities.access import CLERK, COUNTY
from communities.permissions import ALL_STAFF, COUNTY_ONLY, COUNTY_TOWNSHIP, register
from services import models

NOBODY = frozenset()
COUNTY_CLERK = frozenset({COUNTY, CLERK})


def register_policy():
    register(
        {
            models.ServiceNetwork: (ALL_STAFF, ALL_STAFF, COUNTY_TOWNSHIP),
            models.ServiceOutlet: (ALL_STAFF, ALL_STAFF, COUNTY_TOWNSHIP),
            models.TrainingClass: (ALL_STAFF, ALL_STAFF, COUNTY_TOWNSHIP),
            models.ProcessingProject: (ALL_STAFF, ALL_STAFF, COUNTY_TOWNSHIP),
            models.ReemploymentOutcome: (ALL_STAFF, ALL_STAFF, COUNTY_TOWNSHIP),
            models.AssistedHousehold: (COUNTY_CLERK, COUNTY_CLERK, COUNTY_CLERK),
            models.HelperPairing: (COUNTY_CLERK, COUNTY_CLERK, COUNTY_CLERK),
            models.AssistanceVisit: (COUNTY_CLERK, COUNTY_CLERK, COUNTY_CLERK),
            models.Volunteer: (COUNTY_CLERK, COUNTY_CLERK, COUNTY_CLERK),
            models.ContributionPoints: (COUNTY_CLERK, COUNTY_CLERK, COUNTY_CLERK),
            models.ServiceRecord: (NOBODY, NOBODY, NOBODY),
            models.TimeBankEntry: (NOBODY, NOBODY, NOBODY),
            models.AdmissionRequest: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
            models.Commendation: (COUNTY_ONLY, COUNTY_ONLY, COUNTY_ONLY),
        },
        unscoped={models.AdmissionRequest, models.Commendation},
    )
