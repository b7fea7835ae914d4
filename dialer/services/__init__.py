"""The service layer: everything the API and the scheduler do, as plain async functions over the store."""
