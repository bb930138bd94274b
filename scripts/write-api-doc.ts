// Rewrites the endpoint and error-code tables at the end of docs/api.md from openapi.json and the
// error catalogue. Run after `npm run openapi:write`; test/docs.test.ts fails when they disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { errorCatalog } from '../src/http/errors.js';

const doc = JSON.parse(readFileSync('openapi.json', 'utf8')) as { paths: Record<string, Record<string, { summary?: string }>> };
const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => `| \`${method.toUpperCase()} ${path}\` | ${op.summary ?? ''} |`));
const codes = Object.entries(errorCatalog).map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.title} |`);
const current = readFileSync('docs/api.md', 'utf8');
const head = current.slice(0, current.indexOf('| method and path | what it does |'));
writeFileSync(
  'docs/api.md',
  `${head}| method and path | what it does |\n|---|---|\n${routes.join('\n')}\n\n## Error codes\n\n| code | status | meaning |\n|---|---|---|\n${codes.join('\n')}\n`,
);
console.log(`docs/api.md: ${routes.length} endpoints, ${codes.length} error codes`);
