"""Request and response bodies. Requests forbid unknown fields so a typo is a 422, not silently ignored data."""
