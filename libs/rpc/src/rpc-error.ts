/**
 * Errors as values with stable codes, mapped to gRPC status codes (and HTTP statuses) in one
 * place. Field violations travel in the `x-field-violations` trailer as JSON, and their text
 * is part of the message so that any client shows them.
 */
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';

export type ErrorKind =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL';

export interface FieldViolation {
  field: string;
  description: string;
  code?: string;
}

const GRPC_CODES: Record<ErrorKind, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  ABORTED: GrpcStatus.ABORTED,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  RESOURCE_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  INTERNAL: GrpcStatus.INTERNAL,
};

const HTTP_STATUSES: Record<ErrorKind, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 409,
  ABORTED: 409,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  INTERNAL: 500,
};

export const FIELD_VIOLATIONS_TRAILER = 'x-field-violations';
export const ERROR_CODE_TRAILER = 'x-error-code';

export class FlowlineError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** Stable, specific code such as DEFINITION_NOT_DRAFT. */
    readonly code: string,
    message: string,
    readonly violations: FieldViolation[] = [],
  ) {
    super(message);
    this.name = 'FlowlineError';
  }

  get grpcCode(): GrpcStatus {
    return GRPC_CODES[this.kind];
  }

  get httpStatus(): number {
    return HTTP_STATUSES[this.kind];
  }

  /** The fully described message: the summary, then every violation on its own clause. */
  get fullMessage(): string {
    if (this.violations.length === 0) return this.message;
    return `${this.message}: ${this.violations.map((violation) => `${violation.field}: ${violation.description}`).join('; ')}`;
  }

  /** The object grpc-js sends to the client as the call's status. */
  toGrpcStatus(): { code: GrpcStatus; details: string; metadata: Metadata } {
    const metadata = new Metadata();
    metadata.set(ERROR_CODE_TRAILER, this.code);
    if (this.violations.length > 0) metadata.set(FIELD_VIOLATIONS_TRAILER, JSON.stringify(this.violations));
    return { code: this.grpcCode, details: this.fullMessage, metadata };
  }
}

export const invalidArgument = (code: string, message: string, violations: FieldViolation[] = []) =>
  new FlowlineError('INVALID_ARGUMENT', code, message, violations);
export const notFound = (code: string, message: string) => new FlowlineError('NOT_FOUND', code, message);
export const alreadyExists = (code: string, message: string) => new FlowlineError('ALREADY_EXISTS', code, message);
export const failedPrecondition = (code: string, message: string) => new FlowlineError('FAILED_PRECONDITION', code, message);

/** What a client learns from a failed call: status, code, message and field violations. */
export interface RpcFailure {
  grpcCode: number;
  code: string;
  message: string;
  violations: FieldViolation[];
}

export function readRpcFailure(error: { code?: number; details?: string; message?: string; metadata?: Metadata }): RpcFailure {
  const violationsText = error.metadata?.get(FIELD_VIOLATIONS_TRAILER)[0];
  const code = error.metadata?.get(ERROR_CODE_TRAILER)[0];
  return {
    grpcCode: error.code ?? GrpcStatus.UNKNOWN,
    code: typeof code === 'string' ? code : '',
    message: error.details ?? error.message ?? '',
    violations: typeof violationsText === 'string' ? (JSON.parse(violationsText) as FieldViolation[]) : [],
  };
}
