import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

/** What the web (pages, routes, actions, DAL, API, proxy) must never load: worker-only code and handlers. */
const workerOnly = {
  group: ["**/*.handler", "@/lib/jobs/worker", "@/lib/jobs/worker/*", "@/workers", "@/workers/*"],
  message: "Worker-only code: the web loads job definitions (jobs/<name>.ts, lib/jobs/catalog), never handlers, lib/jobs/worker or workers/.",
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
];

export default config;
