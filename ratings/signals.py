"""What ratings tells the apps above it, which it may not import (the roof's announcements).

`round_moved` is sent by ratings.domain after a round moves on to another stage (every stage
move: round_advance, round_open_notice, scoring_close, round_confirm), with `round` (the
moved round, its row locked), `from_status`, `to_status`, `by` and `today`.

It is sent inside the move's transaction, not on its commit: a receiver's writes commit with
the move or not at all. Sent on commit, a write that failed after the commit (or a worker
that died in between) would lose what it records of a committed move; sent inside, a move
that is rolled back (refused later in the same transaction) takes the receiver's writes with
it, and a receiver that fails refuses the move rather than losing its record. A receiver
therefore writes only what belongs to the move, and raises nothing it could have avoided.
"""

from django.dispatch import Signal

round_moved = Signal()
