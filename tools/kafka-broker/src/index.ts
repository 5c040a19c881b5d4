// The Kafka-protocol development broker: startBroker() for tests and the launcher.
export { startBroker, type BrokerOptions, type RunningBroker } from './broker';
