// Fails the typecheck when workers/public-api.d.ts (the types a service sees for runboard/worker)
// drifts from workers/public.ts (what the bundle does). Never imported at run time.
import type { z } from "zod";
import type * as api from "./public-api";
import type * as impl from "./public";

type Payload = z.ZodObject<{ name: z.ZodString; times: z.ZodDefault<z.ZodNumber> }>;

/** Each entry must be `true`; a `false` fails the typecheck here. */
type AllTrue<T extends true[]> = T;

export type PublicApiChecks = AllTrue<[
  // What the service calls is what the entry exports.
  api.StartWorkerOptions extends Parameters<typeof impl.startWorker>[0] ? true : false,
  Parameters<typeof impl.startWorker>[0] extends api.StartWorkerOptions ? true : false,
  Awaited<ReturnType<typeof impl.startWorker>> extends api.RunboardWorker ? true : false,
  // What a service passes to defineJob, typed with the declared types, is what the entry's defineJob takes.
  (api.JobDefinition<Payload> & { name: "x" }) extends Parameters<typeof impl.defineJob<"x", Payload>>[0] ? true : false,
  typeof impl.resourceField extends typeof api.resourceField ? true : false,
  // A definition typed with the declared types is one the entry serves, and the other way round.
  api.JobDefinition<Payload> extends impl.ServableJob ? true : false,
  impl.JobDefinition<Payload> extends api.ServableJob ? true : false,
  // The context the runner passes satisfies a handler written against the declared context.
  impl.JobContext<{ name: string }> extends api.JobContext<{ name: string }> ? true : false,
  keyof api.JobContext<unknown> extends keyof impl.JobContext<unknown> ? true : false,
]>;
