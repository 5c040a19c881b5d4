// Public API of @flowline/observability.
