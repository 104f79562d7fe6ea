import { describe, expect, it } from 'vitest';
import { bodyBytes, refuseOversizedBody } from '../../../../lambdas/common/http/body-limit';

describe('refuseOversizedBody', () => {
  it('answers 413 with the size and the limit for a body one byte over', () => {
    const response = refuseOversizedBody({ body: 'x'.repeat(1025), isBase64Encoded: false }, 1024);

    expect(response?.statusCode).toBe(413);
    expect(JSON.parse(response?.body ?? '{}')).toMatchObject({ status: 413, detail: expect.stringContaining('1025 bytes') });
  });

  it('lets a body of exactly the limit through', () => {
    expect(refuseOversizedBody({ body: 'x'.repeat(1024), isBase64Encoded: false }, 1024)).toBeUndefined();
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 'é' is two bytes: 600 of them are 1200 bytes, over a 1024-byte limit although only 600 characters.
    expect(refuseOversizedBody({ body: 'é'.repeat(600), isBase64Encoded: false }, 1024)?.statusCode).toBe(413);
  });

  it('measures a base64-encoded body by its decoded size', () => {
    for (const size of [0, 1, 2, 3, 1000, 1001, 1002]) {
      const encoded = Buffer.alloc(size, 7).toString('base64');
      expect(bodyBytes({ body: encoded, isBase64Encoded: true })).toBe(size);
    }
  });

  it('treats a missing body as empty', () => {
    expect(bodyBytes({ body: null, isBase64Encoded: false })).toBe(0);
  });
});
