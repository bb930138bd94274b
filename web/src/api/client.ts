import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type QueryClient,
  type UseQueryOptions,
} from '@tanstack/react-query';
import createClient, { type FetchResponse, type MaybeOptionalInit } from 'openapi-fetch';
import { describeProblem } from './problems';
import type { components, paths } from './schema';

/**
 * The one way the web app talks to the API: an `openapi-fetch` client typed from the committed
 * `openapi.json` (regenerate with `npm run gen:api`), wrapped for TanStack Query.
 *
 * Query keys are derived, never hand-written: `['get', pathTemplate, params]`. A mutation names
 * the path templates it makes stale and every cached page under them is refetched.
 */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });

export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];
export type Workspace = Schemas['Workspace'];
export type Member = Schemas['Member'];
export type Invitation = Schemas['Invitation'];
export type InvitableRole = Invitation['role'];
export type Role = Member['role'];

export type Method = 'get' | 'post' | 'patch' | 'delete';
/** Path templates that have an operation for `M` (absent operations are optional `never`s in the schema). */
export type PathsWith<M extends Method> = { [P in keyof paths]: paths[P] extends { [K in M]: unknown } ? P : never }[keyof paths];
export type GetPath = PathsWith<'get'>;
type Op<P extends keyof paths, M extends Method> = paths[P][M];
export type Init<P extends keyof paths, M extends Method> = MaybeOptionalInit<paths[P], M>;
export type Data<P extends keyof paths, M extends Method> = NonNullable<FetchResponse<Op<P, M> & Record<string | number, any>, Init<P, M>, `${string}/${string}`>['data']>;

/** A failed call: the server's problem+json, or a synthetic one when the network or the server broke. */
export class ApiError extends Error {
  constructor(
    readonly problem: Problem,
    readonly status: number,
  ) {
    super(describeProblem(problem).title);
    this.name = 'ApiError';
  }
  get code(): string {
    return this.problem.code;
  }
}

function toApiError(error: unknown, response: Response | undefined): ApiError {
  const status = response?.status ?? 0;
  if (error && typeof error === 'object' && 'code' in error && typeof (error as Problem).code === 'string') return new ApiError(error as Problem, status);
  if (!response) {
    return new ApiError({ type: 'about:blank', title: 'Cannot reach the server', status: 0, code: 'network_error', detail: 'Check your connection and try again.' }, 0);
  }
  return new ApiError({ type: 'about:blank', title: `Unexpected answer from the server (HTTP ${status})`, status, code: 'unexpected_response' }, status);
}

type Caller = (path: string, init: unknown) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
const callers: Record<Method, Caller> = {
  get: api.GET as unknown as Caller,
  post: api.POST as unknown as Caller,
  patch: api.PATCH as unknown as Caller,
  delete: api.DELETE as unknown as Caller,
};

/** Calls one operation; resolves with its data (204 → `undefined as Data`), rejects with an ApiError. */
export async function call<M extends Method, P extends PathsWith<M>>(method: M, path: P, init?: Init<P, M>): Promise<Data<P, M>> {
  let result: Awaited<ReturnType<Caller>>;
  try {
    result = await callers[method](path, init ?? {});
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw toApiError(undefined, undefined);
  }
  if (result.error !== undefined || !result.response.ok) throw toApiError(result.error, result.response);
  return result.data as Data<P, M>;
}

type ParamsOf<P extends GetPath> = NonNullable<Init<P, 'get'>> extends { params?: infer X } ? X : never;

export function queryKey<P extends GetPath>(path: P, params?: ParamsOf<P>) {
  return ['get', path, params ?? {}] as const;
}

export function apiQueryOptions<P extends GetPath>(path: P, params?: ParamsOf<P>) {
  return {
    queryKey: queryKey(path, params),
    queryFn: ({ signal }: { signal: AbortSignal }) => call('get', path, { params, signal } as unknown as Init<P, 'get'>),
  };
}

export function useApiQuery<P extends GetPath>(
  path: P,
  params?: ParamsOf<P>,
  options: Omit<UseQueryOptions<Data<P, 'get'>, ApiError, Data<P, 'get'>, ReturnType<typeof queryKey<P>>>, 'queryKey' | 'queryFn'> = {},
) {
  return useQuery<Data<P, 'get'>, ApiError, Data<P, 'get'>, ReturnType<typeof queryKey<P>>>({ ...apiQueryOptions(path, params), ...options });
}

/** Keyset pages: the cursor goes into the query string, `nextCursor` of the last page drives "Load more". */
export function useApiInfiniteQuery<P extends GetPath>(path: P, params: ParamsOf<P>, options: { enabled?: boolean } = {}) {
  type Page = Data<P, 'get'> & { nextCursor: string | null };
  return useInfiniteQuery<Page, ApiError, InfiniteData<Page, string | null>, readonly unknown[], string | null>({
    queryKey: queryKey(path, params),
    initialPageParam: null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    queryFn: ({ pageParam, signal }) => {
      const p = (params ?? {}) as { path?: unknown; query?: Record<string, unknown> };
      const query = { ...p.query, ...(pageParam ? { cursor: pageParam } : {}) };
      return call('get', path, { params: { ...p, query }, signal } as unknown as Init<P, 'get'>) as Promise<Page>;
    },
    ...options,
  });
}

/**
 * Marks stale, and refetches, every cached GET whose path template starts with one of `prefixes`.
 * A fetch already in flight started before the change: it is cancelled first, or TanStack would
 * hand its (stale) answer to the invalidation when the query has no data yet.
 */
export async function invalidatePaths(client: QueryClient, prefixes: readonly string[]) {
  const predicate = (q: { queryKey: readonly unknown[] }) =>
    q.queryKey[0] === 'get' && typeof q.queryKey[1] === 'string' && prefixes.some((p) => (q.queryKey[1] as string).startsWith(p));
  await client.cancelQueries({ predicate });
  await client.invalidateQueries({ predicate });
}

export function useApiMutation<M extends Exclude<Method, 'get'>, P extends PathsWith<M>>(
  method: M,
  path: P,
  options: {
    /** GET path templates (prefixes) this change makes stale. */
    invalidates?: readonly GetPath[];
    onSuccess?: (data: Data<P, M>, init: Init<P, M>) => void | Promise<void>;
  } = {},
) {
  const client = useQueryClient();
  return useMutation<Data<P, M>, ApiError, Init<P, M>>({
    mutationKey: [method, path],
    mutationFn: (init) => call(method, path, init),
    onSuccess: async (data, init) => {
      if (options.invalidates?.length) await invalidatePaths(client, options.invalidates);
      await options.onSuccess?.(data, init);
    },
  });
}
