import net from 'node:net';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';

/** The fault proxy itself, against an echo server on loopback: pass, delay, black hole, reset, heal. */
describe('fault proxy', () => {
  let echo: net.Server;
  let proxy: FaultProxy;

  beforeEach(async () => {
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const { port } = echo.address() as net.AddressInfo;
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port } });
  });

  afterEach(async () => {
    await proxy.close();
    await new Promise((r) => echo.close(r));
  });

  async function connect(): Promise<net.Socket> {
    const s = net.connect(proxy.port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    return s;
  }

  /** Sends `text` and resolves with the echo and how long it took, or 'timeout' after `ms`. */
  function roundTrip(
    s: net.Socket,
    text: string,
    ms = 2_000,
  ): Promise<{ reply: string; tookMs: number } | 'timeout'> {
    const started = Date.now();
    return new Promise((resolve) => {
      let reply = '';
      const timer = setTimeout(() => {
        s.off('data', onData);
        resolve('timeout');
      }, ms);
      const onData = (chunk: Buffer) => {
        reply += chunk.toString();
        if (reply.length >= text.length) {
          clearTimeout(timer);
          s.off('data', onData);
          resolve({ reply, tookMs: Date.now() - started });
        }
      };
      s.on('data', onData);
      s.write(text);
    });
  }

  it('passes bytes through, and delays them both ways when asked', async () => {
    const s = await connect();
    expect(await roundTrip(s, 'hello')).toMatchObject({ reply: 'hello' });
    proxy.delay(150);
    const slow = await roundTrip(s, 'slow');
    expect(slow).not.toBe('timeout');
    if (slow !== 'timeout') expect(slow.tookMs).toBeGreaterThanOrEqual(290); // two legs of 150 ms
    s.destroy();
  });

  it('holds bytes in a black hole, delivers them on heal, and holds new connections too', async () => {
    const s = await connect();
    proxy.blackhole();
    const pending = roundTrip(s, 'held', 5_000);
    const late = await connect(); // accepted, not connected upstream until heal
    const latePending = roundTrip(late, 'late', 5_000);
    await new Promise((r) => setTimeout(r, 500));
    proxy.heal();
    expect(await pending).toMatchObject({ reply: 'held' });
    expect(await latePending).toMatchObject({ reply: 'late' });
    s.destroy();
    late.destroy();
  });

  it('resets open and new connections until healed', async () => {
    const s = await connect();
    const closed = new Promise<string>((r) => s.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? '')));
    proxy.reset();
    expect(await closed).toBe('ECONNRESET');
    const refused = net.connect(proxy.port, '127.0.0.1');
    expect(await new Promise((r) => refused.once('error', (e: NodeJS.ErrnoException) => r(e.code)))).toBe(
      'ECONNRESET',
    );
    proxy.heal();
    const again = await connect();
    expect(await roundTrip(again, 'back')).toMatchObject({ reply: 'back' });
    again.destroy();
  });
});
