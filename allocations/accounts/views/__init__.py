"""Views of the accounts area, split by sub-area."""
