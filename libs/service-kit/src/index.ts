// Public API of @flowline/service-kit.
