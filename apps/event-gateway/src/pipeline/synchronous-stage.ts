/**
 * The synchronous work of one stage in execution order: plug-in steps (already in rank, then
 * registration order) and real-time workflows (in activation order) merged by rank; at equal
 * rank plug-in steps go first.
 */
import type { RealTimeWorkflow } from '../real-time/real-time-workflows';
import type { RegistryProtoStep } from './registry-step';

export type StageItem = { step: RegistryProtoStep } | { workflow: RealTimeWorkflow };

export function inRankOrder(steps: readonly RegistryProtoStep[], workflows: readonly RealTimeWorkflow[]): StageItem[] {
  const ordered = [...workflows].sort((a, b) => a.rank - b.rank);
  const items: StageItem[] = [];
  let next = 0;
  for (const step of steps) {
    while (next < ordered.length && ordered[next]!.rank < step.rank) items.push({ workflow: ordered[next++]! });
    items.push({ step });
  }
  while (next < ordered.length) items.push({ workflow: ordered[next++]! });
  return items;
}
