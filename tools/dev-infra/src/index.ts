// Public API of @flowline/dev-infra.
