"""Views of the applications area, one module per sub-area."""
