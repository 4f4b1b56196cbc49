import { describe, expect, it } from 'vitest';
import { pickBucket } from './length-buckets.js';

const one = (length: number) => ({ texts: 1, length });

describe('pickBucket', () => {
  it('takes everything when it fits in one call', () => {
    expect(pickBucket([one(5), one(300), one(40)], 8)).toEqual([0, 1, 2]);
  });

  it('keeps the oldest and fills the call with the requests nearest its length', () => {
    // Oldest is 20 long: the 18, 21 and 25 join; the 200s wait for a call of their own.
    const queue = [one(20), one(200), one(18), one(210), one(25), one(21)];
    expect(pickBucket(queue, 4)).toEqual([0, 2, 4, 5]);
    // What is left forms the next call: the long ones together.
    expect(pickBucket([one(200), one(210)], 4)).toEqual([0, 1]);
  });

  it('skips a request too large for the room left and takes a smaller one behind it', () => {
    const queue = [one(10), { texts: 5, length: 10 }, one(60)];
    expect(pickBucket(queue, 3)).toEqual([0, 2]);
  });

  it('always takes the oldest, even when it alone exceeds the call size', () => {
    expect(pickBucket([{ texts: 9, length: 10 }, one(10)], 4)).toEqual([0]);
    expect(pickBucket([], 4)).toEqual([]);
  });
});
