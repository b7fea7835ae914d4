"""The dialling engine: claim due calls, apply the calling rules, dial, record outcomes, reconcile."""
