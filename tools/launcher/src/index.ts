// Public API of @flowline/launcher.
