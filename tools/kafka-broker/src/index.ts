// Public API of @flowline/kafka-broker.
