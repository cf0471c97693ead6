"""The model registry: models, versions, aliases (which version serves a tenant) and the
evaluation runs that justify them."""
