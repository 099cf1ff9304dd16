import { connect } from 'node:net';

/**
 * Whether a peer answers on its port. Locally a missing peer skips its block with one loud line; in CI
 * (VH_REQUIRE_PEERS=1, set by .ci/run) a missing peer is a failure, never a silent skip.
 */
export async function peerSkip(name: string, url: string, howToStart: string): Promise<string | undefined> {
  const u = new URL(url.includes('://') ? url : `tcp://${url}`);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const up = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: u.hostname, port, timeout: 1500 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
  if (up) return undefined;
  const why = `${name} peer not reachable at ${url}; start it with: ${howToStart}`;
  if (process.env.VH_REQUIRE_PEERS === '1') throw new Error(`${why} (VH_REQUIRE_PEERS=1: peers are required here)`);
  return why;
}
