import { configurePaging, MAX_PAGE_SIZE, pageInfo, pageWindow } from './paging';

describe('paging', () => {
  it('walks a list page by page with the tokens it hands out', () => {
    const first = pageWindow({ pageSize: 2 });
    expect(first).toEqual({ offset: 0, limit: 2 });
    const info = pageInfo(first, 2, 5);
    expect(info.totalCount).toBe(5);
    const second = pageWindow({ pageSize: 2, pageToken: info.nextPageToken });
    expect(second).toEqual({ offset: 2, limit: 2 });
    const last = pageWindow({ pageSize: 2, pageToken: pageInfo(second, 2, 5).nextPageToken });
    expect(last).toEqual({ offset: 4, limit: 2 });
    expect(pageInfo(last, 1, 5).nextPageToken).toBe('');
  });

  it('uses 50 when no size is given and refuses sizes out of range', () => {
    expect(pageWindow(undefined)).toEqual({ offset: 0, limit: 50 });
    expect(() => pageWindow({ pageSize: 501 })).toThrow('page.pageSize must be from 1 to 500 (0 for 50), got 501');
  });

  it('refuses a token it did not issue', () => {
    expect(() => pageWindow({ pageToken: 'bm9wZQ' })).toThrow(
      'page.pageToken is not a token this service returned: start again without one',
    );
  });

  it('takes its maximum from the setting, and names the setting when a page is larger', () => {
    configurePaging({ maxPageSize: 20 });
    try {
      expect(pageWindow({ pageSize: 20 })).toEqual({ offset: 0, limit: 20 });
      expect(pageWindow(undefined)).toEqual({ offset: 0, limit: 20 });
      expect(() => pageWindow({ pageSize: 21 })).toThrow(
        'page.pageSize must be from 1 to 20 (0 for 20), got 21 (the largest page is the setting PAGE_SIZE_MAX)',
      );
    } finally {
      configurePaging({ maxPageSize: MAX_PAGE_SIZE });
    }
  });
});
