// Writes the OpenAPI document the running code describes to ./openapi.json (committed).
// `test/openapi.test.ts` fails when the committed file drifts from the code.
import { writeFileSync } from 'node:fs';
import { buildApp } from '../src/app/build-app.js';
import { testConfig } from '../src/app/config.js';
import { deriveKeys } from '../src/app/keys.js';
import { openDatabase } from '../src/db/client.js';

export async function currentOpenApi(): Promise<string> {
  const database = await openDatabase({});
  const { app } = await buildApp({ config: testConfig({ DEV_MAILBOX: 'true' }), db: database.db, keys: deriveKeys(Buffer.alloc(32)) });
  await app.ready();
  const doc = JSON.stringify(app.swagger(), null, 2) + '\n';
  await app.close();
  await database.close();
  return doc;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync('openapi.json', await currentOpenApi());
  console.log('openapi.json written');
}
