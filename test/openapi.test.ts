import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { currentOpenApi } from '../scripts/write-openapi.js';

describe('openapi.json', () => {
  it('matches the code (run `npm run openapi:write` after changing a route)', async () => {
    expect(JSON.parse(readFileSync('openapi.json', 'utf8'))).toEqual(JSON.parse(await currentOpenApi()));
  });
});
