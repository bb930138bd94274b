import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/app/config.js';
import { errorCatalog } from '../src/http/errors.js';

describe('documentation stays in step with the code', () => {
  const readme = readFileSync('README.md', 'utf8');
  it('README starts with the two commands', () => {
    const head = readme.split('\n').slice(0, 6).join('\n');
    expect(head).toContain('npm install && npm start');
    expect(head).toContain('npm test');
  });
  it('README documents every configuration variable', () => {
    const missing = Object.keys(configSchema.shape).filter((k) => !readme.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });
  it('docs/api.md lists every endpoint (run `npm run docs:api`)', () => {
    const api = readFileSync('docs/api.md', 'utf8');
    const doc = JSON.parse(readFileSync('openapi.json', 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const missing = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).filter((r) => !api.includes(`\`${r}\``));
    expect(missing).toEqual([]);
  });
  it('docs/api.md lists every error code', () => {
    const api = readFileSync('docs/api.md', 'utf8');
    expect(Object.keys(errorCatalog).filter((c) => !api.includes(`\`${c}\``))).toEqual([]);
  });
});
