// Public API of @flowline/persistence.
