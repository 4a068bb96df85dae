/** Settings of a node's WebSocket gateway (tests shorten the intervals through the environment). */
export interface GatewayOptions {
  /** Interval of the ping / liveness / session re-check round. */
  heartbeatMs: number;
  /** Interval of the look for sessions revoked elsewhere (see revocations.ts). */
  revocationPollMs: number;
  /** How many sockets a second are asked to reconnect after the node may have missed events. */
  gapCloseRate: number;
}

export function defaultGatewayOptions(env: NodeJS.ProcessEnv = process.env): GatewayOptions {
  const ms = (v: string | undefined, fallback: number) => {
    const n = Number(v);
    return v !== undefined && Number.isFinite(n) && n >= 50 ? n : fallback;
  };
  const rate = Number(env.PARLEY_WS_GAP_CLOSE_RATE);
  return {
    heartbeatMs: ms(env.PARLEY_WS_HEARTBEAT_MS, 30_000),
    revocationPollMs: ms(env.PARLEY_WS_REVOCATION_POLL_MS, 2000),
    gapCloseRate: Number.isInteger(rate) && rate >= 1 ? rate : 5000,
  };
}
