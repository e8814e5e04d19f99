"""Views of the awards area, by sub-area: screening, panel and decisions, allocations."""
