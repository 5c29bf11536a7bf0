export * from "./users";
export * from "./teams";
export * from "./team-members";
export * from "./projects";
export * from "./files";
export * from "./contacts";
export * from "./job-runs";
