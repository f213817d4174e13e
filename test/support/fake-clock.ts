import type { RetryPolicy } from '../../core/retry';

/**
 * A retry policy whose waits pass on a fake clock at once, recording each wait: backoff tests run
 * in no time and can assert the delays. `reset()` in beforeEach.
 */
export function fakeClock() {
  const clock = {
    now: 0,
    sleeps: [] as number[],
    reset() {
      clock.now = 0;
      clock.sleeps = [];
    },
    /** The project's default backoff (50 ms doubling to 5 s), giving up after `maxElapsedMs`. */
    policy(maxElapsedMs = 60_000): RetryPolicy {
      return {
        maxElapsedMs,
        baseDelayMs: 50,
        maxDelayMs: 5_000,
        random: () => 0.5,
        now: () => clock.now,
        sleep: async (ms) => {
          clock.sleeps.push(ms);
          clock.now += ms;
        },
      };
    },
  };
  return clock;
}
