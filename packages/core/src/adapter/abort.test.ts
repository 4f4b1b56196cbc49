import { describe, expect, it } from 'vitest';
import { AbortedError } from '../errors/aborted-error.js';
import { abortable, isAbortError, withTimeoutSignal } from './abort.js';

describe('abortable', () => {
  it('passes the value through without a signal or when not aborted', async () => {
    expect(await abortable(Promise.resolve(1), undefined, 'x')).toBe(1);
    expect(await abortable(Promise.resolve(2), new AbortController().signal, 'x')).toBe(2);
  });

  it('rejects with an AbortedError as soon as the signal fires, keeping the reason', async () => {
    const controller = new AbortController();
    const never = new Promise<number>(() => undefined);
    const pending = abortable(never, controller.signal, 'count');
    const reason = new Error('user cancelled');
    controller.abort(reason);
    const error = await pending.catch((e: unknown) => e);
    expect(AbortedError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/count was aborted/);
    expect((error as Error).cause).toBe(reason);
  });

  it('rejects at once for a signal already aborted', async () => {
    const error = await abortable(Promise.resolve(1), AbortSignal.abort(), 'get').catch(
      (e: unknown) => e,
    );
    expect(AbortedError.isInstance(error)).toBe(true);
  });
});

describe('isAbortError', () => {
  it('knows AbortedError and the AbortError DOMException, not a timeout', () => {
    expect(isAbortError(new AbortedError('x'))).toBe(true);
    expect(isAbortError(new DOMException('stop', 'AbortError'))).toBe(true);
    expect(isAbortError(new DOMException('slow', 'TimeoutError'))).toBe(false);
    expect(isAbortError(new Error('x'))).toBe(false);
  });
});

describe('withTimeoutSignal', () => {
  it('fires on the timeout, and on the caller signal', async () => {
    const timed = withTimeoutSignal(undefined, 5)!;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(timed.aborted).toBe(true);
    const controller = new AbortController();
    const joined = withTimeoutSignal(controller.signal, 60_000)!;
    controller.abort();
    expect(joined.aborted).toBe(true);
    expect(withTimeoutSignal(controller.signal, undefined)).toBe(controller.signal);
  });
});
