/**
 * The TCP server: frames (int32 size + request), request header v1, dispatch to the API
 * handlers, and responses written in request order per connection as Kafka requires.
 * Garbage, oversized frames, unknown APIs and unsupported versions are logged and answered
 * per protocol (ApiVersions: error 35 with what we support) or by closing that connection;
 * the broker itself never goes down because of a client.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { apiVersionsBody, apiVersions, createTopics, deleteTopics, metadata } from './apis/metadata-admin';
import { ApiKey, type ApiHandler, type BrokerContext } from './apis/context';
import {
  describeGroups,
  findCoordinator,
  heartbeat,
  joinGroup,
  leaveGroup,
  listGroups,
  offsetCommit,
  offsetFetch,
  syncGroup,
} from './apis/groups';
import { fetch, initProducerId, listOffsets, produce } from './apis/produce-fetch';
import { SUPPORTED_VERSIONS } from './apis/versions';
import { MalformedRequest, Reader } from './wire/codec';
import { ErrorCode } from './wire/errors';

const MAX_FRAME_BYTES = 100 * 1024 * 1024;

const HANDLERS: Record<number, ApiHandler> = {
  [ApiKey.Produce]: produce,
  [ApiKey.Fetch]: fetch,
  [ApiKey.ListOffsets]: listOffsets,
  [ApiKey.Metadata]: metadata,
  [ApiKey.OffsetCommit]: offsetCommit,
  [ApiKey.OffsetFetch]: offsetFetch,
  [ApiKey.FindCoordinator]: findCoordinator,
  [ApiKey.JoinGroup]: joinGroup,
  [ApiKey.Heartbeat]: heartbeat,
  [ApiKey.LeaveGroup]: leaveGroup,
  [ApiKey.SyncGroup]: syncGroup,
  [ApiKey.DescribeGroups]: describeGroups,
  [ApiKey.ListGroups]: listGroups,
  [ApiKey.ApiVersions]: apiVersions,
  [ApiKey.CreateTopics]: createTopics,
  [ApiKey.DeleteTopics]: deleteTopics,
  [ApiKey.InitProducerId]: initProducerId,
};

function frame(correlationId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeInt32BE(4 + body.length, 0);
  header.writeInt32BE(correlationId, 4);
  return Buffer.concat([header, body]);
}

class Connection {
  private pending: Buffer = Buffer.alloc(0);
  /** Responses complete in any order but are written in request order. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly context: BrokerContext,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => {
      this.closed = true;
    });
  }

  private refuse(reason: string, fields: Record<string, unknown> = {}): void {
    this.context.log.warn(`refused a request and closed the connection: ${reason}`, { remote: this.socket.remoteAddress, ...fields });
    this.close();
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (!this.closed && this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (size < 8 || size > MAX_FRAME_BYTES) return this.refuse(`frame size ${size} is outside 8..${MAX_FRAME_BYTES}`);
      if (this.pending.length < 4 + size) return;
      const request = this.pending.subarray(4, 4 + size);
      this.pending = this.pending.subarray(4 + size);
      this.handle(request);
    }
  }

  private handle(request: Buffer): void {
    const apiKey = request.readInt16BE(0);
    const version = request.readInt16BE(2);
    const correlationId = request.readInt32BE(4);
    const supported = SUPPORTED_VERSIONS[apiKey];
    if (apiKey === ApiKey.ApiVersions && supported && version > supported[1]) {
      // KIP-511: answer in the v0 format with error 35 and our ranges; the client retries lower.
      this.enqueue(Promise.resolve(frame(correlationId, apiVersionsBody(0, ErrorCode.UnsupportedVersion))));
      return;
    }
    const handler = HANDLERS[apiKey];
    if (!handler || !supported) return this.refuse(`unknown API key ${apiKey}`, { apiKey, version });
    if (version < supported[0] || version > supported[1])
      return this.refuse(`API ${apiKey} version ${version} is not supported (${supported[0]}-${supported[1]})`, { apiKey, version });
    const reader = new Reader(request.subarray(8));
    let clientId: string | null;
    try {
      clientId = reader.nullableString();
    } catch (error) {
      return this.refuse(`bad request header: ${(error as Error).message}`);
    }
    const work = (async () => {
      const body = await handler(reader, version, this.context, { clientId, host: this.socket.remoteAddress ?? '' });
      // Produce with acks=0 has no response.
      if (apiKey === ApiKey.Produce && body.length === 0) return null;
      return frame(correlationId, body);
    })();
    this.enqueue(work);
  }

  private enqueue(work: Promise<Buffer | null>): void {
    this.queue = this.queue.then(async () => {
      try {
        const response = await work;
        if (response && !this.closed) this.socket.write(response);
      } catch (error) {
        if (error instanceof MalformedRequest) this.refuse(error.message);
        else this.refuse(`internal error while answering: ${String(error)}`);
      }
    });
  }
}

export function createBrokerServer(context: BrokerContext): { server: Server; connections: Set<Connection> } {
  const connections = new Set<Connection>();
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    const connection = new Connection(socket, context);
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  });
  return { server, connections };
}

export type { Connection };
