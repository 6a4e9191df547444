export {
  createOtlpReceiver,
  readLogs,
  OTLP_PATHS,
  DEFAULT_MAX_BODY,
  DEFAULT_MAX_INFLATED,
  type OtlpReceiver,
  type ReceiverOptions,
  type ReceiverStats,
} from './receiver';
export { telemetryJoin, unmatched, DEFAULT_HOLD_MS, DEFAULT_WINDOW_MS, type TelemetryJoin, type JoinOptions, type JoinStats } from './join';
export { mapLogRecord, attributesOf, agentOfService, fingerprintOf, type OtelInteraction } from './vendors';
export {
  decodeRequest,
  encodeResponse,
  encodeStatus,
  decodeStatus,
  decodeResponse,
  encodingOf,
  inflate,
  loadOtlpTypes,
  OtlpDecodeError,
} from './decode';
export {
  COPILOT_OTEL,
  telemetryUrl,
  isOurEndpoint,
  copilotPlan,
  terminalPlan,
  codexHasOtel,
  codexOtelBlock,
  type SetupPlan,
  type AgentConfigs,
} from './setup';
