"""Models arrive with the ratings issue."""
