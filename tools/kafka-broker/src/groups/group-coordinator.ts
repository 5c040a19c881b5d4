/**
 * Consumer groups: the coordinator's state machine (Empty -> PreparingRebalance ->
 * CompletingRebalance -> Stable). A join starts a rebalance; it completes when every known
 * member has rejoined or the rebalance timeout passes (laggards are dropped). The leader's
 * SyncGroup hands out the assignments. Members that stop heart-beating for their session
 * timeout are evicted and the others rebalance, so survivors take over their partitions.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../wire/errors';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
  clientId: string;
  clientHost: string;
}

export interface JoinResponse {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leaderId: string;
  memberId: string;
  members: Array<{ memberId: string; metadata: Buffer }>;
}

interface Member {
  memberId: string;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: Array<{ name: string; metadata: Buffer }>;
  assignment: Buffer;
  lastSeen: number;
  joinWaiter?: (response: JoinResponse) => void;
  syncWaiter?: (response: { errorCode: number; assignment: Buffer }) => void;
}

interface Group {
  groupId: string;
  state: GroupState;
  generationId: number;
  protocolType: string;
  protocolName: string;
  leaderId: string;
  members: Map<string, Member>;
  rebalanceTimer?: NodeJS.Timeout;
  settleTimer?: NodeJS.Timeout;
}

/** How long a rebalance waits for more joins once every known member is in (lets simultaneous starters share one generation). */
const SETTLE_MS = 100;

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly log: (message: string, fields?: Record<string, unknown>) => void) {
    this.sweeper = setInterval(() => this.evictExpired(), 200);
    this.sweeper.unref();
  }

  private group(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) {
      group = { groupId, state: 'Empty', generationId: 0, protocolType: '', protocolName: '', leaderId: '', members: new Map() };
      this.groups.set(groupId, group);
    }
    return group;
  }

  join(request: JoinRequest): Promise<JoinResponse> {
    const failed = (errorCode: number): Promise<JoinResponse> =>
      Promise.resolve({ errorCode, generationId: -1, protocolName: '', leaderId: '', memberId: request.memberId, members: [] });
    if (!request.groupId) return failed(ErrorCode.InvalidGroupId);
    if (request.sessionTimeoutMs < 1000 || request.sessionTimeoutMs > 300_000) return failed(ErrorCode.InvalidSessionTimeout);
    const group = this.group(request.groupId);
    if (group.members.size > 0 && group.protocolType && request.protocolType !== group.protocolType)
      return failed(ErrorCode.InconsistentGroupProtocol);
    let member = request.memberId ? group.members.get(request.memberId) : undefined;
    if (request.memberId && !member) return failed(ErrorCode.UnknownMemberId);
    if (!member) {
      member = {
        memberId: `${request.clientId || 'member'}-${randomUUID()}`,
        clientId: request.clientId,
        clientHost: request.clientHost,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        protocols: request.protocols,
        assignment: Buffer.alloc(0),
        lastSeen: Date.now(),
      };
      group.members.set(member.memberId, member);
      this.log('member joined', { group: group.groupId, member: member.memberId });
    }
    member.protocols = request.protocols;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.lastSeen = Date.now();
    group.protocolType = request.protocolType;
    const joined = member;
    const response = new Promise<JoinResponse>((resolve) => {
      joined.joinWaiter = resolve;
    });
    this.prepareRebalance(group);
    this.maybeCompleteJoin(group);
    return response;
  }

  private prepareRebalance(group: Group): void {
    if (group.state === 'PreparingRebalance') return;
    // Members waiting for an assignment of the old generation must rejoin.
    for (const member of group.members.values()) {
      member.syncWaiter?.({ errorCode: ErrorCode.RebalanceInProgress, assignment: Buffer.alloc(0) });
      member.syncWaiter = undefined;
    }
    group.state = 'PreparingRebalance';
    const timeout = Math.max(...[...group.members.values()].map((member) => member.rebalanceTimeoutMs), 1000);
    group.rebalanceTimer = setTimeout(() => this.completeJoin(group), timeout);
    group.rebalanceTimer.unref();
  }

  private maybeCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    if (![...group.members.values()].every((member) => member.joinWaiter)) return;
    if (group.settleTimer) clearTimeout(group.settleTimer);
    group.settleTimer = setTimeout(() => this.completeJoin(group), SETTLE_MS);
    group.settleTimer.unref();
  }

  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    if (group.rebalanceTimer) clearTimeout(group.rebalanceTimer);
    if (group.settleTimer) clearTimeout(group.settleTimer);
    for (const member of [...group.members.values()]) {
      if (!member.joinWaiter) {
        group.members.delete(member.memberId);
        this.log('member dropped: it did not rejoin within the rebalance timeout', { group: group.groupId, member: member.memberId });
      }
    }
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.generationId += 1;
      return;
    }
    const members = [...group.members.values()];
    const candidates = members[0]!.protocols.map((protocol) => protocol.name);
    const protocolName = candidates.find((name) => members.every((member) => member.protocols.some((protocol) => protocol.name === name)));
    group.generationId += 1;
    if (!protocolName) {
      for (const member of members) {
        member.joinWaiter?.({
          errorCode: ErrorCode.InconsistentGroupProtocol,
          generationId: -1,
          protocolName: '',
          leaderId: '',
          memberId: member.memberId,
          members: [],
        });
        member.joinWaiter = undefined;
      }
      group.members.clear();
      group.state = 'Empty';
      return;
    }
    group.protocolName = protocolName;
    if (!group.members.has(group.leaderId)) group.leaderId = members[0]!.memberId;
    group.state = 'CompletingRebalance';
    this.log('rebalance complete', { group: group.groupId, generation: group.generationId, members: members.length });
    for (const member of members) {
      const isLeader = member.memberId === group.leaderId;
      member.joinWaiter?.({
        errorCode: ErrorCode.None,
        generationId: group.generationId,
        protocolName,
        leaderId: group.leaderId,
        memberId: member.memberId,
        members: isLeader
          ? members.map((m) => ({ memberId: m.memberId, metadata: m.protocols.find((p) => p.name === protocolName)!.metadata }))
          : [],
      });
      member.joinWaiter = undefined;
      member.lastSeen = Date.now();
    }
  }

  sync(
    groupId: string,
    generationId: number,
    memberId: string,
    assignments: Array<{ memberId: string; assignment: Buffer }>,
  ): Promise<{ errorCode: number; assignment: Buffer }> {
    const group = this.groups.get(groupId);
    const empty = Buffer.alloc(0);
    const member = group?.members.get(memberId);
    if (!group || !member) return Promise.resolve({ errorCode: ErrorCode.UnknownMemberId, assignment: empty });
    if (group.state === 'PreparingRebalance') return Promise.resolve({ errorCode: ErrorCode.RebalanceInProgress, assignment: empty });
    if (generationId !== group.generationId) return Promise.resolve({ errorCode: ErrorCode.IllegalGeneration, assignment: empty });
    member.lastSeen = Date.now();
    if (memberId === group.leaderId && group.state === 'CompletingRebalance') {
      for (const entry of assignments) {
        const target = group.members.get(entry.memberId);
        if (target) target.assignment = entry.assignment;
      }
      group.state = 'Stable';
      for (const waiting of group.members.values()) {
        if (waiting.syncWaiter && waiting.memberId !== memberId) {
          waiting.syncWaiter({ errorCode: ErrorCode.None, assignment: waiting.assignment });
          waiting.syncWaiter = undefined;
        }
      }
      return Promise.resolve({ errorCode: ErrorCode.None, assignment: member.assignment });
    }
    if (group.state === 'Stable') return Promise.resolve({ errorCode: ErrorCode.None, assignment: member.assignment });
    return new Promise((resolve) => {
      member.syncWaiter = resolve;
    });
  }

  heartbeat(groupId: string, generationId: number, memberId: string): number {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return ErrorCode.UnknownMemberId;
    member.lastSeen = Date.now();
    // As Apache Kafka's classic groups: the generation first, then the state.
    if (generationId !== group.generationId) return ErrorCode.IllegalGeneration;
    if (group.state === 'PreparingRebalance') return ErrorCode.RebalanceInProgress;
    return ErrorCode.None;
  }

  leave(groupId: string, memberId: string): number {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return ErrorCode.UnknownMemberId;
    this.remove(group, member, 'left the group');
    return ErrorCode.None;
  }

  /** Whether a commit from this member of this generation is accepted. */
  validateCommit(groupId: string, generationId: number, memberId: string): number {
    if (generationId < 0) return ErrorCode.None; // simple (non-group) commits
    const group = this.groups.get(groupId);
    if (!group || !group.members.has(memberId)) return ErrorCode.UnknownMemberId;
    if (group.generationId !== generationId) return ErrorCode.IllegalGeneration;
    // As Apache Kafka: a commit of the current generation is accepted while a rebalance is only
    // preparing (the member has not rejoined yet), refused once it is completing (awaiting sync).
    if (group.state === 'CompletingRebalance') return ErrorCode.RebalanceInProgress;
    return ErrorCode.None;
  }

  private remove(group: Group, member: Member, why: string): void {
    group.members.delete(member.memberId);
    member.joinWaiter?.({
      errorCode: ErrorCode.UnknownMemberId,
      generationId: -1,
      protocolName: '',
      leaderId: '',
      memberId: member.memberId,
      members: [],
    });
    member.syncWaiter?.({ errorCode: ErrorCode.UnknownMemberId, assignment: Buffer.alloc(0) });
    this.log(`member ${why}`, { group: group.groupId, member: member.memberId });
    if (group.members.size === 0) {
      if (group.rebalanceTimer) clearTimeout(group.rebalanceTimer);
      if (group.settleTimer) clearTimeout(group.settleTimer);
      group.state = 'Empty';
      group.generationId += 1;
      return;
    }
    if (group.leaderId === member.memberId) group.leaderId = '';
    this.prepareRebalance(group);
    this.maybeCompleteJoin(group);
  }

  private evictExpired(): void {
    const now = Date.now();
    for (const group of this.groups.values()) {
      for (const member of [...group.members.values()]) {
        if (!member.joinWaiter && now - member.lastSeen > member.sessionTimeoutMs)
          this.remove(group, member, 'expired: no heartbeat within its session timeout');
      }
    }
  }

  describe(
    groupId: string,
  ):
    | {
        state: GroupState;
        protocolType: string;
        protocolName: string;
        members: Array<{ memberId: string; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }>;
      }
    | undefined {
    const group = this.groups.get(groupId);
    if (!group) return undefined;
    return {
      state: group.state,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        metadata: member.protocols.find((protocol) => protocol.name === group.protocolName)?.metadata ?? Buffer.alloc(0),
        assignment: member.assignment,
      })),
    };
  }

  list(): Array<{ groupId: string; protocolType: string }> {
    return [...this.groups.values()].map((group) => ({ groupId: group.groupId, protocolType: group.protocolType || 'consumer' }));
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const group of this.groups.values()) {
      if (group.rebalanceTimer) clearTimeout(group.rebalanceTimer);
      if (group.settleTimer) clearTimeout(group.settleTimer);
    }
  }
}
