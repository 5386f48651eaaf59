"""Models arrive with the services issue."""
