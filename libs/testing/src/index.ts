// Public API of @flowline/testing.
