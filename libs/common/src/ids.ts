import { randomUUID } from 'node:crypto';
import { randomLowerAlnum, randomString } from './crypto.js';

/** `mqtt-` + 12 lowercase alphanumerics, the shape of Alibaba instance ids (`mqtt-cn-0pp1ldu****`). */
export function newInstanceId(): string {
  return `mqtt-${randomLowerAlnum(12)}`;
}

/** AccessKey ids look like Alibaba's (`LTAI` + 20 characters); secrets are 30 characters. */
export function newAccessKeyId(): string {
  return `LTAI${randomString(20)}`;
}

export function newAccessKeySecret(): string {
  return randomString(30);
}

/** Alibaba-style request id: an upper-case UUID. */
export function newRequestId(): string {
  return randomUUID().toUpperCase();
}

/** 32 upper-case hex characters, the shape of Alibaba message ids and channel ids. */
export function newMessageId(): string {
  return randomUUID().replace(/-/g, '').toUpperCase();
}
