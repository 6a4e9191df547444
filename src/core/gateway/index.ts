export { createGateway, HEALTH_PATH, type Gateway, type GatewayConfig, type GatewayOptions, type HealthInfo } from './server';
export { hostGateway, probeHealth, type GatewayHost, type HostOptions, type HostState } from './election';
export { gatewayError, type ErrorShape, type GatewayErrorKind } from './errors';
export { classify, detectAgent, refusal } from './request';
export {
  anthropicTokens,
  chatTokens,
  responsesTokens,
  observeResponse,
  requestText,
  MAX_COUNT,
  type Api,
  type Diagnostic,
  type Observation,
} from './usage';
export { SseReader, SSE_MAX_LINE } from './sse';
export { loadGatewaySecret, healthProof, SECRET_FILE } from './secret';
export * from './settings';
export * from './agents';
