/** Stops what Jest global setup started. */
export default async function globalTeardown(): Promise<void> {
  const postgres = globalThis.__FLOWLINE_TEST_POSTGRES__;
  globalThis.__FLOWLINE_TEST_POSTGRES__ = undefined;
  if (postgres) await postgres.stop();
  const kafka = globalThis.__FLOWLINE_TEST_KAFKA__;
  globalThis.__FLOWLINE_TEST_KAFKA__ = undefined;
  if (kafka) await kafka.close();
}
