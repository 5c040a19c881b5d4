/** The step registration shape the pipeline works with (the registry's gRPC form). */
import type { RegistryProto } from '@flowline/rpc';

export { PipelineStage } from '@flowline/contracts';
export type RegistryProtoStep = RegistryProto.StepRegistration;
