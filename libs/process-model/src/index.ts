// Public API of @flowline/process-model.
