/** Nest injection tokens for values that are not classes. */
export const CONFIG = Symbol('AVIARY_CONFIG');
export const SECRET_BOX = Symbol('AVIARY_SECRET_BOX');
export const CLOCK = Symbol('AVIARY_CLOCK');
