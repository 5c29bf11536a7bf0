import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

/** What the web (pages, routes, actions, DAL, API, proxy) must never load: worker-only code and handlers. */
const workerOnly = {
  group: ["**/*.handler", "@/lib/jobs/worker", "@/lib/jobs/worker/*", "@/workers", "@/workers/*"],
  message: "Worker-only code: the web loads job definitions (jobs/<name>.ts, lib/jobs/catalog), never handlers, lib/jobs/worker or workers/.",
};

/** Forms use useSafeAction / useReachableAction: a bare useActionState throws a lost request onto the error page. */
const useActionStateOnlyThroughSafeHooks = {
  name: "react",
  importNames: ["useActionState"],
  message: "Use useSafeAction (or useReachableAction) from @/lib/actions/use-safe-action: they turn a request that never answered into a form error instead of the error page.",
};

const config = [
  ...nextVitals,
  ...nextTs,
  { ignores: [".next/**", ".data/**", "node_modules/**", "next-env.d.ts", "dist/**", "playwright-report/**", "test-results/**"] },
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The web app queries only through lib/dal: pages, actions and routes never touch the db.
    files: ["app/**/*.{ts,tsx}"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@/lib/db", "@/lib/db/*", "drizzle-orm", "drizzle-orm/*", "postgres"],
              allowTypeImports: true,
              message: "Query through lib/dal, which checks permissions and returns DTOs.",
            },
            workerOnly,
          ],
          paths: [useActionStateOnlyThroughSafeHooks],
        },
      ],
    },
  },
  {
    files: ["lib/dal/**/*.{ts,tsx}", "lib/api/**/*.{ts,tsx}", "proxy.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", { patterns: [workerOnly] }],
    },
  },
  {
    // Specs take test/expect from the fixture, which fails a test whose page logs a console error.
    files: ["e2e/**/*.spec.ts", "e2e/auth.setup.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "@playwright/test",
              message: "Import test/expect from e2e/support/test.ts (\"./support/test\"): it fails a spec whose page logs a console error; allow a provoked one with allowConsoleError(pattern).",
            },
          ],
        },
      ],
    },
  },
];

export default config;
