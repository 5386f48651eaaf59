"""What every staff page spends on its navigation, for the tests that pin query counts.

The second row of the navigation shows the number of things the user has to do
(portal.navigation, from chunan_community.worklist): a fixed number of queries per role,
one for each kind of work the role has, however much work there is.
"""

from communities.models import Role

NAV_QUERIES = {
    # Returns to accept, terms due, space below the standard, stage moves due, opinions to
    # moderate, admission requests to decide.
    Role.COUNTY: 6,
    # Returns to review, terms due, space below the standard.
    Role.TOWNSHIP: 3,
    # The community (its founding), its recent returns, its terms due, the open rounds.
    Role.CLERK: 4,
}
