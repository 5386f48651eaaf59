"""What every staff page spends on its navigation, for the tests that pin query counts.

The second row of the navigation shows the number of things the user has to do
(portal.navigation, from chunan_community.worklist): a fixed number of queries per role,
one for each kind of work the role has, however much work there is, and one for the
number of unread messages (站内消息) beside the inbox's entry.
"""

from communities.models import Role

NAV_QUERIES = {
    # Returns to accept, terms due, space below the standard, stage moves due, opinions to
    # moderate, admission requests to decide; the unread messages.
    Role.COUNTY: 7,
    # Returns to review, terms due, space below the standard; the unread messages.
    Role.TOWNSHIP: 4,
    # The community (its founding), its recent returns, its terms due, the open rounds; the
    # unread messages.
    Role.CLERK: 5,
}
