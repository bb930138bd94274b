import type { FastifyInstance } from 'fastify';

/**
 * Remembers every route's path pattern, so an unknown method on a known path can answer 405 with
 * an `Allow` header (T-ERR-03) instead of a 404 that says the path does not exist.
 */
export function trackRouteMethods(app: FastifyInstance): (path: string) => string[] {
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    const source = '^' + route.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+') + '/?$';
    const methods = [route.method].flat().map((m) => m.toUpperCase());
    const existing = routes.find((r) => r.pattern.source === source);
    if (existing) methods.forEach((m) => existing.methods.add(m));
    else routes.push({ pattern: new RegExp(source), methods: new Set(methods) });
  });
  return (path) => {
    const allowed = new Set<string>();
    for (const r of routes) if (r.pattern.test(path)) r.methods.forEach((m) => allowed.add(m));
    if (allowed.has('GET')) allowed.add('HEAD');
    return [...allowed].sort();
  };
}
