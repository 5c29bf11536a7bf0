/**
 * Node flags for the dashboard's `next start`, shared by `npm start`, the test harness and the
 * benchmarks so they measure what runs. A page render allocates a few MB of short-lived objects;
 * a larger young generation lets most of them die there instead of being copied by frequent
 * scavenges (docs/benchmarks.md has the measurement). An operator's own NODE_OPTIONS still apply.
 */
export const WEB_NODE_FLAGS = "--max-semi-space-size=32";

export function webEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, NODE_OPTIONS: [WEB_NODE_FLAGS, env.NODE_OPTIONS].filter(Boolean).join(" ") };
}
