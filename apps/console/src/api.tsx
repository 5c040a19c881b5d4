/**
 * The console's calls: the session API on this origin, the other services through the session
 * service's forwarder (/console/api/{registry|gateway|executor}/…), always with the signed-in
 * person's bearer token, which lives in this tab's sessionStorage only.
 */
export type Service = 'sessions' | 'registry' | 'gateway' | 'executor';

const TOKEN_KEY = 'flowline.console.token';
/** The dialog runner page reads its token here (same origin, same tab). */
const RUNNER_TOKEN_KEY = 'flowline.token';

export interface Caller {
  token: string;
  subject: string;
  name: string;
  roles: string[];
  expiresAt: number | null;
}

export interface Violation {
  field: string;
  description: string;
  code?: string;
}

/** A refusal or failure, as the services describe it: `{ error: { code, message, violations } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly violations: Violation[] = [],
  ) {
    super(message);
  }
}

function base64UrlDecode(text: string): string {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** Reads who a token says it is (display only: every service checks the token itself). */
export function readToken(token: string): Caller {
  const parts = token.trim().split('.');
  if (parts.length !== 3) throw new Error('This is not a token: a token has three parts separated by dots.');
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(base64UrlDecode(parts[1]!)) as Record<string, unknown>;
  } catch {
    throw new Error('This is not a token: its middle part is not readable.');
  }
  const roles = Array.isArray(claims['roles']) ? claims['roles'].map(String) : [];
  const subject = typeof claims['sub'] === 'string' ? claims['sub'] : '';
  const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : null;
  if (exp !== null && exp < Date.now()) throw new Error(`This token expired on ${new Date(exp).toLocaleString()}.`);
  return { token: token.trim(), subject, name: typeof claims['name'] === 'string' ? claims['name'] : subject, roles, expiresAt: exp };
}

export function storedCaller(): Caller | null {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  try {
    return readToken(token);
  } catch {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
}

export function storeCaller(caller: Caller | null): void {
  if (caller) {
    sessionStorage.setItem(TOKEN_KEY, caller.token);
    sessionStorage.setItem(RUNNER_TOKEN_KEY, caller.token);
  } else {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(RUNNER_TOKEN_KEY);
  }
}

/** What the caller's roles let them do (admin may do everything). */
export function can(caller: Caller, what: 'operate' | 'author' | 'admin'): boolean {
  if (caller.roles.includes('admin')) return true;
  if (what === 'operate') return caller.roles.includes('operator');
  if (what === 'author') return caller.roles.includes('author');
  return false;
}

export function baseOf(service: Service): string {
  return service === 'sessions' ? '' : `/console/api/${service}`;
}

let currentToken: string | null = null;
let onUnauthorized: () => void = () => undefined;

export function setApiToken(token: string | null, unauthorized: () => void): void {
  currentToken = token;
  onUnauthorized = unauthorized;
}

export async function call<T>(service: Service, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (currentToken) headers['authorization'] = `Bearer ${currentToken}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${baseOf(service)}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, 'NETWORK', `The ${service} could not be reached: ${(error as Error).message}`);
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; violations?: Violation[] } } | undefined)?.error;
    if (response.status === 401) onUnauthorized();
    throw new ApiError(
      response.status,
      error?.code ?? `HTTP_${response.status}`,
      error?.message ??
        `The ${service} answered ${response.status}${typeof parsed === 'string' && parsed ? `: ${parsed.slice(0, 200)}` : ''}`,
      error?.violations ?? [],
    );
  }
  return parsed as T;
}

/** Query text from an object: empty values are left out, arrays joined by commas. */
export function query(values: Record<string, string | number | undefined | null | string[]>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      if (value.length) search.set(key, value.join(','));
    } else search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
