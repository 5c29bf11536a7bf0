import { describe, expect, test } from "vitest";
import { refuseGrantChange, refuseInvite, refuseRemoval, refuseRoleChange } from "@/lib/teams/rules";

const member = { role: "member", isSelf: false } as const;
const owner = { role: "owner", isSelf: false } as const;
const me = { role: "owner", isSelf: true } as const;

describe("team membership rules", () => {
  test("admins manage members and admins, never owners", () => {
    expect(refuseRoleChange("admin", member, "admin", 1)).toBeNull();
    expect(refuseRoleChange("admin", { role: "admin", isSelf: false }, "member", 1)).toBeNull();
    expect(refuseRoleChange("admin", owner, "admin", 2)?.code).toBe("owner_only");
    expect(refuseRemoval("admin", owner, 2)?.code).toBe("owner_only");
    expect(refuseRemoval("admin", member, 1)).toBeNull();
  });

  test("only owners make, invite or demote owners", () => {
    expect(refuseRoleChange("admin", member, "owner", 1)?.code).toBe("owner_only");
    expect(refuseInvite("admin", "owner")?.code).toBe("owner_only");
    expect(refuseInvite("admin", "admin")).toBeNull();
    expect(refuseRoleChange("owner", member, "owner", 1)).toBeNull();
    expect(refuseInvite("owner", "owner")).toBeNull();
    expect(refuseRoleChange("owner", owner, "admin", 2)).toBeNull();
  });

  test("the last owner stays, whoever asks", () => {
    expect(refuseRoleChange("owner", me, "admin", 1)).toMatchObject({ code: "last_owner", message: expect.stringContaining("You are the team's last owner") });
    expect(refuseRemoval("owner", me, 1)?.code).toBe("last_owner");
    expect(refuseRemoval("owner", me, 2)).toBeNull();
    // Keeping the role is no demotion.
    expect(refuseRoleChange("owner", me, "owner", 1)).toBeNull();
  });

  test("grants are for members; admins and owners hold everything already", () => {
    expect(refuseGrantChange(member)).toBeNull();
    expect(refuseGrantChange({ role: "admin", isSelf: false })?.code).toBe("role_has_all");
    expect(refuseGrantChange(owner)?.code).toBe("role_has_all");
  });
});
