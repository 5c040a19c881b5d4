import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { compileDefinition } from './compile';
import { validateDefinition } from './validate';

const base = {
  schemaVersion: 1,
  name: 'Nightly',
  uniqueName: 'nightly',
  category: 'workflow',
  primaryEntity: 'account',
  steps: [{ id: 'done', type: 'stop', status: 'succeeded' }],
};

describe('schedule triggers', () => {
  it('accepts a cron schedule with seconds, a time zone, jitter, policies and a query, and compiles it apart from record triggers', () => {
    const definition = {
      ...base,
      triggers: [
        { on: 'create' },
        {
          on: 'schedule',
          cron: '0 */5 * * * *',
          timeZone: 'Europe/Berlin',
          startAt: '2026-01-01T00:00:00Z',
          endAt: '2027-01-01T00:00:00+01:00',
          jitter: '30s',
          overlap: 'bufferOne',
          catchUp: 'all',
          query: { entity: 'account', conditions: [{ attribute: 'creditlimit', operator: 'gt', value: 1000 }] },
        },
        { on: 'schedule', every: '1h30m' },
      ],
    };
    expect(validateDefinition(definition, DEFAULT_ENTITIES)).toEqual([]);
    const compiled = compileDefinition(definition, DEFAULT_ENTITIES);
    expect(compiled.triggers).toEqual([{ message: 'Create', entity: 'account', attributes: [] }]);
    expect(compiled.schedules).toEqual([
      expect.objectContaining({
        triggerIndex: 1,
        cron: '0 */5 * * * *',
        timeZone: 'Europe/Berlin',
        jitterMs: 30_000,
        overlap: 'bufferOne',
        catchUp: 'all',
      }),
      { triggerIndex: 2, everyMs: 5_400_000, timeZone: 'UTC', jitterMs: 0, overlap: 'skip', catchUp: 'latest' },
    ]);
  });

  it('refuses bad cron expressions, unknown time zones, bad intervals and dates, at their paths', () => {
    const errors = validateDefinition(
      {
        ...base,
        triggers: [
          { on: 'schedule', cron: '61 * * * *' },
          { on: 'schedule', cron: '* * *', timeZone: 'Europe/Berlln' },
          { on: 'schedule', every: 'soon', startAt: 'tomorrow', jitter: '2h' },
          { on: 'schedule' },
          { on: 'schedule', cron: '* * * * *', every: '5m' },
          { on: 'create', cron: '* * * * *' },
        ],
      },
      DEFAULT_ENTITIES,
    );
    expect(errors.map((e) => [e.path, e.code])).toEqual([
      ['$.triggers[0].cron', 'BAD_CRON'],
      ['$.triggers[1].cron', 'BAD_CRON'],
      ['$.triggers[1].timeZone', 'UNKNOWN_TIME_ZONE'],
      ['$.triggers[2].every', 'BAD_DURATION'],
      ['$.triggers[2].startAt', 'BAD_DATE'],
      ['$.triggers[2].jitter', 'BAD_DURATION'],
      ['$.triggers[3]', 'SCHEDULE_TIMING'],
      ['$.triggers[4]', 'SCHEDULE_TIMING'],
      ['$.triggers[5].cron', 'TRIGGER_FIELD'],
    ]);
    expect(errors[0]!.message).toContain('minute');
    expect(errors[2]!.message).toBe("unknown time zone 'Europe/Berlln': expected an IANA name such as UTC or Europe/Berlin");
  });

  it('refuses a query on an unknown entity or attribute, with the nearest names, and on real-time workflows', () => {
    const errors = validateDefinition(
      {
        ...base,
        triggers: [
          { on: 'schedule', every: '1h', query: { entity: 'acount', conditions: [] } },
          {
            on: 'schedule',
            every: '1h',
            query: { entity: 'account', conditions: [{ attribute: 'creditlimt', operator: 'gt', value: 5 }] },
          },
          {
            on: 'schedule',
            every: '1h',
            query: { entity: 'account', conditions: [{ attribute: 'creditlimit', operator: 'gt', value: 'x' }] },
          },
        ],
      },
      DEFAULT_ENTITIES,
    );
    expect(errors).toEqual([
      { path: '$.triggers[0].query.entity', message: "no entity 'acount'; did you mean 'account'?", code: 'UNKNOWN_ENTITY' },
      {
        path: '$.triggers[1].query.conditions[0].attribute',
        message: "entity 'account' has no attribute 'creditlimt'; did you mean 'creditlimit'?",
        code: 'UNKNOWN_ATTRIBUTE',
      },
      { path: '$.triggers[2].query.conditions[0].value', message: "attribute 'creditlimit' is money, not string", code: 'TYPE_MISMATCH' },
    ]);
    expect(
      validateDefinition({ ...base, mode: 'realTime', triggers: [{ on: 'schedule', every: '1h' }] }, DEFAULT_ENTITIES).map((e) => e.code),
    ).toEqual(['SCHEDULE_MODE']);
  });

  it('lets expressions read trigger.scheduledAt', () => {
    expect(
      validateDefinition(
        {
          ...base,
          triggers: [{ on: 'schedule', every: '1d' }],
          steps: [{ id: 'note', type: 'createRecord', entity: 'task', set: { subject: 'Run of {{trigger.scheduledAt}}' } }],
        },
        DEFAULT_ENTITIES,
      ),
    ).toEqual([]);
  });
});
