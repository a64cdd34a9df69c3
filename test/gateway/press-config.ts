/**
 * The gateway config of the end-to-end tests around the central sink: one press read over MQTT,
 * written to the embedded store and attested every 500 ms to a central service, with short retries.
 */
export function pressGatewayConfig(o: {
  gatewayId: string;
  centralUrl: string;
  mqttUrl: string;
  clientId: string;
  /** The subscription, a YAML flow mapping. */
  subscription: string;
  /** More lines of the MQTT connection (indented as its keys). */
  connection?: string[];
}): string {
  return [
    'gateway:',
    `  id: ${o.gatewayId}`,
    '  dataDir: ./data',
    '  attestEvery: 500ms',
    'http: { port: 0 }',
    'forward: { flushInterval: 100ms, retryInitial: 100ms, retryMax: 500ms, authRetry: 300ms }',
    'sinks:',
    '  - { type: embedded }',
    `  - { type: central, url: '${o.centralUrl}', timeoutMs: 2000 }`,
    'connections:',
    '  - id: line-mqtt',
    '    protocol: mqtt',
    `    url: ${o.mqttUrl}`,
    `    clientId: ${o.clientId}`,
    ...(o.connection ?? []),
    `    subscriptions: [${o.subscription}]`,
    '    devices:',
    '      - id: press-1',
    '        production: true',
    '        businessLinks: [生产管控]',
    '        tags: [{ id: count, type: integer }]',
    '',
  ].join('\n');
}
