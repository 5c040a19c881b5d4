import { historyWindowMs } from './health-history';
import { decodePageToken, encodePageToken, listSortOf, OPERATION_SORTS } from './operation-page';

describe('the list sorts and page tokens', () => {
  const key = ['2026-12-02T05:00:00.123456Z', '42'];

  it('offers six sorts, -createdOn by default, and refuses any other naming sort', () => {
    expect(OPERATION_SORTS).toEqual(['-createdOn', 'createdOn', '-completedOn', 'completedOn', '-name', 'name']);
    expect(listSortOf(undefined)).toMatchObject({ name: '-createdOn', field: 'createdOn', descending: true });
    expect(listSortOf('name')).toMatchObject({ field: 'name', descending: false });
    expect(listSortOf('-completedOn').spec.completedOnly).toBe(true);
    expect(() => listSortOf('owner')).toThrow(expect.objectContaining({ violations: [expect.objectContaining({ field: 'sort' })] }));
  });

  it('reads back the key a token carries for the same sort and filter, whatever the order of the filter', () => {
    const sort = listSortOf('-createdOn');
    const token = encodePageToken(sort, { states: [1, 0], name: 'x' }, key);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(token, sort, { name: 'x', states: [0, 1], statuses: [] })).toEqual(key);
  });

  it('refuses a token of another sort or filter, an altered one and one that is not a token, naming page.pageToken', () => {
    const sort = listSortOf('-createdOn');
    const token = encodePageToken(sort, {}, key);
    const altered = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k: string[] };
    altered.k[1] = '41';
    const refusals = [
      () => decodePageToken(token, listSortOf('createdOn'), {}),
      () => decodePageToken(token, sort, { states: [3] }),
      () => decodePageToken(Buffer.from(JSON.stringify(altered)).toString('base64url'), sort, {}),
      () => decodePageToken(Buffer.from('o:50').toString('base64url'), sort, {}),
      () => decodePageToken('%%%', sort, {}),
      // Well signed but not a timestamp: never reaches the database.
      () => decodePageToken(encodePageToken(sort, {}, ['yesterday', '1']), sort, {}),
    ];
    for (const refusal of refusals)
      expect(refusal).toThrow(
        expect.objectContaining({ code: 'PAGE_TOKEN_INVALID', violations: [expect.objectContaining({ field: 'page.pageToken' })] }),
      );
  });
});

describe('the health history window', () => {
  it('takes 1m to 1h, the hour by default, and refuses anything else naming window', () => {
    expect(historyWindowMs(undefined)).toBe(3_600_000);
    expect(historyWindowMs('15m')).toBe(900_000);
    expect(historyWindowMs('90s')).toBe(90_000);
    expect(historyWindowMs('1h')).toBe(3_600_000);
    for (const wrong of ['2h', '59s', '61m', 'hour', '-5m'])
      expect(() => historyWindowMs(wrong)).toThrow(expect.objectContaining({ violations: [expect.objectContaining({ field: 'window' })] }));
  });
});
