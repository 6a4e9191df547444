export { createGateway, HEALTH_PATH, type Gateway, type GatewayConfig, type GatewayOptions, type HealthInfo } from './server';
export { hostGateway, probeHealth, type GatewayHost, type HostOptions, type HostState } from './election';
export { gatewayError, type ErrorShape, type GatewayErrorKind } from './errors';
export { classify, detectAgent, refusal } from './request';
export { anthropicTokens, chatTokens, responsesTokens, observeResponse, requestText, type Api, type Observation } from './usage';
export { SseReader } from './sse';
export * from './settings';
export * from './agents';
