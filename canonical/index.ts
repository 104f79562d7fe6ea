/** The canonical model: one source of truth for entities, events, ownership and deployment routing. */

export * from './deployment-config';
export * from './entities/commercial';
export * from './entities/common';
export * from './entities/customer';
export * from './entities/delivery';
export * from './entities/finance';
export * from './entity-types';
export * from './events/catalogue';
export * as payloadsV1 from './events/payloads-v1';
export * from './flow-routing';
export * from './lifecycle';
export * from './operations';
export * from './primitives';
export * from './systems';
export * from './workflows';
