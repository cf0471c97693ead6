"""Background jobs of the marketing data store."""
