/** A free loopback port for a service under test (below the ephemeral range: see tools/dev-infra ports). */
// eslint-disable-next-line @nx/enforce-module-boundaries
export { freePort as freePortForTests, freePortSeries as freePortSeriesForTests } from '../../../tools/dev-infra/src/ports';
