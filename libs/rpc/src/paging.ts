/**
 * Offset paging behind opaque page tokens, the same for every list call: page_size 1..500
 * (0 = 50; the maximum is the service's PAGE_SIZE_MAX setting), and the next_page_token to
 * pass back for the following page.
 */
import { invalidArgument } from './rpc-error';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** The largest page of this process: MAX_PAGE_SIZE unless the service set PAGE_SIZE_MAX (startService does). */
let maxPageSize = MAX_PAGE_SIZE;

export function configurePaging(settings: { maxPageSize: number }): void {
  if (!Number.isInteger(settings.maxPageSize) || settings.maxPageSize < 1) throw new Error('maxPageSize must be a whole number from 1');
  maxPageSize = settings.maxPageSize;
}

export interface PageWindow {
  offset: number;
  limit: number;
}

export function pageWindow(page: { pageSize?: number; pageToken?: string } | undefined): PageWindow {
  const size = page?.pageSize ?? 0;
  if (!Number.isInteger(size) || size < 0 || size > maxPageSize) {
    throw invalidArgument(
      'PAGE_SIZE_INVALID',
      `page.pageSize must be from 1 to ${maxPageSize} (0 for ${Math.min(DEFAULT_PAGE_SIZE, maxPageSize)}), got ${size}${
        size > maxPageSize ? ` (the largest page is the setting PAGE_SIZE_MAX)` : ''
      }`,
      [{ field: 'page.pageSize', description: `expected 0 to ${maxPageSize}`, code: 'PAGE_SIZE' }],
    );
  }
  let offset = 0;
  if (page?.pageToken) {
    const decoded = Number(Buffer.from(page.pageToken, 'base64url').toString('utf8').replace(/^o:/, ''));
    if (!Buffer.from(page.pageToken, 'base64url').toString('utf8').startsWith('o:') || !Number.isInteger(decoded) || decoded < 0) {
      throw invalidArgument('PAGE_TOKEN_INVALID', 'page.pageToken is not a token this service returned: start again without one', [
        { field: 'page.pageToken', description: 'expected a next_page_token from an earlier answer' },
      ]);
    }
    offset = decoded;
  }
  return { offset, limit: size === 0 ? Math.min(DEFAULT_PAGE_SIZE, maxPageSize) : size };
}

export function pageInfo(window: PageWindow, returned: number, total: number): { nextPageToken: string; totalCount: number } {
  const next = window.offset + returned;
  return { nextPageToken: next < total ? Buffer.from(`o:${next}`, 'utf8').toString('base64url') : '', totalCount: total };
}
