import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { describe, expect, it } from 'vitest';

/**
 * The web app's API client is generated from the committed openapi.json (`npm run gen:api`,
 * i.e. `openapi-typescript openapi.json -o web/src/api/schema.d.ts`). This fails when the
 * committed client differs from what the generator makes of openapi.json now, so the web app
 * never compiles against an API that no longer exists. (test/openapi.test.ts ties openapi.json
 * to the running code.)
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('generated web API client', () => {
  it('web/src/api/schema.d.ts is what openapi-typescript generates from openapi.json (run `npm run gen:api`)', async () => {
    const generated = COMMENT_HEADER + astToString(await openapiTS(new URL(`file://${path.join(root, 'openapi.json')}`), { silent: true }));
    const committed = readFileSync(path.join(root, 'web/src/api/schema.d.ts'), 'utf8');
    expect(committed.length).toBeGreaterThan(1000);
    expect(committed === generated, 'web/src/api/schema.d.ts is stale: run `npm run gen:api` and commit it').toBe(true);
  });
});
