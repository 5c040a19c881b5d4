/**
 * How long a suite may take to start the services it runs against (registry, gateway,
 * executor, session service as real processes). Under a loaded CI machine a start takes far
 * longer than on an idle one; a hook that runs out of time fails every test of its suite.
 */
export const SERVICE_START_TIMEOUT_MS = 120_000;
