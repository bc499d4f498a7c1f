// The HF wire layer: parse each call's input, format each answer (pure, no I/O).
export type { Dialect } from './dialect';
export {
  MAX_MACHINE_COUNT,
  parseGetAvailableTemplates,
  parseGetRequestStatus,
  parseGetReturnRequests,
  parseJsonDocument,
  parseRequestMachines,
  parseRequestReturnMachines,
} from './parse-input';
export type { RequestMachinesCall, RequestStatusCall, ReturnMachinesCall, ReturnRequestsCall } from './parse-input';
export {
  FAILED_MACHINE_MESSAGE,
  NO_ACTIVE_VM_MESSAGE,
  REQUEST_MACHINES_MESSAGE,
  RETURN_MACHINES_MESSAGE,
  RETURN_REQUESTS_MESSAGE,
  TEMPLATES_MESSAGE,
  exitCodeFor,
  formatError,
  formatRequestMachines,
  formatRequestStatus,
  formatReturnMachines,
  formatReturnRequests,
  formatTemplates,
  serialize,
} from './format-output';
export type {
  ErrorDocument,
  GuideMachine,
  GuideRequestMachinesDocument,
  GuideRequestStatus,
  GuideRequestStatusDocument,
  GuideReturnMachinesDocument,
  HfMachine,
  HfRequest,
  HfRequestMachinesDocument,
  HfRequestStatusDocument,
  HfReturnMachinesDocument,
  ReturnRequestsDocument,
  TemplatesDocument,
  WireAttributes,
  WireTemplate,
} from './format-output';
