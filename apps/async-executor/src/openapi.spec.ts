import { buildOpenApiDocument } from '@flowline/service-kit';
import { controllerRoutes, documentedRoutes, OpenApiConformance } from '@flowline/service-testing';
import type { DeadLetterAuditRow } from './dead-letters/dead-letter-audit.entity';
import type { DeadLetterRow } from './dead-letters/dead-letter.entity';
import { DeadLettersHttpController } from './dead-letters/dead-letters.http.controller';
import { deadLetterToJson } from './dead-letters/dead-letters.mapper';
import { OnDemandHttpController } from './on-demand/on-demand.http.controller';
import { EXECUTOR_OPENAPI } from './openapi';
import { BulkActionsHttpController } from './operations/bulk-actions.http.controller';
import { HealthHistoryHttpController } from './operations/health-history.http.controller';
import { OperationsHttpController } from './operations/operations.http.controller';

/**
 * The executor's document as a whole: every REST API of the service is in it, and what the
 * mappers answer conforms to it without a running service (the integration specs check the real
 * answers too).
 */
describe("the executor's OpenAPI document", () => {
  const document = buildOpenApiDocument(EXECUTOR_OPENAPI);
  const conformance = new OpenApiConformance(document as unknown as Record<string, unknown>, 'http://executor.test');

  it('lists every route the HTTP controllers serve, and no other: system jobs, bulk actions, on-demand starts, dead letters, health history', () => {
    const served = controllerRoutes([
      OperationsHttpController,
      BulkActionsHttpController,
      OnDemandHttpController,
      DeadLettersHttpController,
      HealthHistoryHttpController,
    ]);
    expect(documentedRoutes(document)).toEqual(served);
    expect(served).toEqual(
      expect.arrayContaining([
        'POST /api/v1/operations/bulk',
        'GET /api/v1/operations/bulk/{id}/items',
        'PATCH /api/v1/dead-letters/{id}',
        'POST /api/v1/dead-letters/{id}/replay',
        'GET /api/v1/health/history',
      ]),
    );
  });

  const row: DeadLetterRow = {
    id: '3b1e0c52-8a0e-4a53-9d3b-5f9f6a1f0c11',
    seq: '7',
    deadLetterTopic: 'flowline.dead-letter.v1',
    deadLetterPartition: 0,
    deadLetterOffset: '41',
    originalTopic: 'flowline.domain-events.v1',
    originalPartition: 2,
    originalOffset: '118',
    key: 'contact:1',
    headers: { 'x-correlation-id': 'c-1' },
    value: '{"id":"e-1"}',
    valueEncoding: 'utf8',
    reason: 'invalid domain event',
    reasonCode: 'INVALID_PAYLOAD',
    consumerGroup: 'flowline.event-gateway.domain-events',
    attempts: 1,
    failedAt: new Date('2026-11-30T10:00:00Z'),
    receivedAt: new Date('2026-11-30T10:00:01Z'),
    status: 'replayed',
    editedValue: '{"id":"e-1","fixed":true}',
    editedHeaders: null,
    replayCount: 1,
    replayedAt: new Date('2026-11-30T10:05:00Z'),
    replayedPartition: 2,
    replayedOffset: '119',
    rowVersion: 3,
  };
  const audit = [{ id: '1', deadLetterId: row.id, action: 'edited', actor: 'olga', at: new Date(), details: { fields: ['value'] } }];

  it('describes a dead letter as the mapper answers it, in a listing and with its audit', () => {
    const listing = { deadLetters: [deadLetterToJson(row)], page: { nextPageToken: '', totalCount: 1 } };
    expect(() => conformance.check('GET', '/api/v1/dead-letters', 200, 'application/json', listing)).not.toThrow();
    const detail = deadLetterToJson(row, audit as DeadLetterAuditRow[]);
    expect(() => conformance.check('POST', `/api/v1/dead-letters/${row.id}/replay`, 200, 'application/json', detail)).not.toThrow();
    // The document is closed: a field it does not know, or a missing audit, does not conform.
    expect(() => conformance.check('GET', `/api/v1/dead-letters/${row.id}`, 200, 'application/json', { ...detail, extra: 1 })).toThrow(
      /additionalProperties|must NOT have additional properties/,
    );
    expect(() => conformance.check('GET', `/api/v1/dead-letters/${row.id}`, 200, 'application/json', deadLetterToJson(row))).toThrow(
      /audit/,
    );
  });
});
