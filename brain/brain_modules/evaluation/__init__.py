"""`brain eval`: the modules scored on simulated tenants and public data whose truth is known."""
