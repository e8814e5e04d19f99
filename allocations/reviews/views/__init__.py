"""Pages of the reviews area, one module per audience."""
