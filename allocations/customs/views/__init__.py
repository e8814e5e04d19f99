"""Views of the customs area, by page group: regimes and tax rates (the import desk, and a
read-only catalogue for applicants), cases, generated documents and public verification."""
