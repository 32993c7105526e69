/** Time, behind a seam so services can be tested at a chosen instant. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const isoPlusSeconds = (from: Date, seconds: number): string =>
  new Date(from.getTime() + seconds * 1000).toISOString();
