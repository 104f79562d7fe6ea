/** Ownership as data, and the one function that applies it. */

export * from './decide-change';
export * from './defaults';
export * from './policy';
