import { databaseUrl } from "@/lib/db/client";
import { migrateDatabase } from "./lib/migrate";

await migrateDatabase(databaseUrl());
console.log("Database is up to date.");
