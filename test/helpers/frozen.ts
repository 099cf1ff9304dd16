import { createServer, type Server, type Socket } from 'node:net';

/** A TCP port that accepts connections and never answers: a SIGSTOPped store, a black-holed proxy. */
export interface Frozen {
  port: number;
  /** Connections accepted so far (each left unanswered). */
  connections(): number;
  close(): Promise<void>;
}

export async function frozenListener(): Promise<Frozen> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
