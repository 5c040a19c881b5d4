/**
 * The step handlers by step type. The map's type names every step type of the language
 * (StepType, from the process model's schema): a step type added without a handler here does
 * not compile.
 */
import { customActivity, startChild } from './calls';
import type { StepHandlers } from './context';
import { assignValue, linkChildDialog, page } from './dialog';
import { condition, stage, stop } from './flow';
import { assign, createRecord, queryData, sendEmail, setState, updateRecord } from './records';
import { parallelWait, waitCondition, waitTimeout } from './waits';

export const STEP_HANDLERS: StepHandlers = {
  stage,
  condition,
  stop,
  createRecord,
  updateRecord,
  assign,
  setState,
  sendEmail,
  queryData,
  startChild,
  customActivity,
  waitCondition,
  waitTimeout,
  parallelWait,
  page,
  assignValue,
  linkChildDialog,
};

export { RunError, type Outcome, type StepContext } from './context';
