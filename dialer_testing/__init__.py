"""Public test doubles and harnesses for the dialer's own interfaces, for tests/ and bench/ alike.

Nothing here is used by the product at run time: it is what a test or a benchmark builds the product with.
"""
