/** Ownership as data, and the one function that applies it. */
export * from './policy';
export * from './defaults';
export * from './decide-change';
