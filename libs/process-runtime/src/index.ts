// Public API of @flowline/process-runtime.
