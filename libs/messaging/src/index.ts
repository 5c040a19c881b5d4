// Public API of @flowline/messaging.
