import { createSendWindow } from '@telemetry-pulse/simulator';

const tick = () => new Promise((r) => setImmediate(r));

describe('createSendWindow', () => {
  it('hands a batch over only once there is room, so at most `depth` are outstanding', async () => {
    const resolvers: (() => void)[] = [];
    let outstanding = 0;
    let most = 0;
    const window = createSendWindow<number>(
      () =>
        new Promise<void>((resolve) => {
          outstanding += 1;
          most = Math.max(most, outstanding);
          resolvers.push(() => {
            outstanding -= 1;
            resolve();
          });
        }),
      2,
    );
    await window.push([1]);
    await window.push([2, 3]);
    const third = window.push([4]);
    await tick();
    expect(resolvers).toHaveLength(2); // the third waits
    resolvers.shift()?.();
    await third;
    expect(resolvers).toHaveLength(2);
    resolvers.splice(0).forEach((r) => r());
    await window.drain();
    expect(most).toBe(2);
    expect(window.acked()).toBe(4);
  });

  it('reports the first failure on the next push and on drain', async () => {
    let n = 0;
    const window = createSendWindow<number>(async () => {
      n += 1;
      if (n === 1) throw new Error('first failed');
    }, 1);
    await window.push([1]);
    await expect(window.push([2])).rejects.toThrow('first failed');
    await expect(window.drain()).rejects.toThrow('first failed');
    expect(window.acked()).toBe(0);
  });
});
