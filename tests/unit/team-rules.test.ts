import { describe, expect, test } from "vitest";
import { refuseGrantChange, refuseInvite, refuseRemoval, refuseRoleChange, type Counts } from "@/lib/teams/rules";

const member = { role: "member", isSelf: false } as const;
const admin = { role: "admin", isSelf: false } as const;
const owner = { role: "owner", isSelf: false } as const;
const me = { role: "owner", isSelf: true } as const;
const team = (owners: number, admins: number): Counts => ({ owners, managers: owners + admins });

describe("team membership rules", () => {
  test("admins manage members and admins, never owners", () => {
    expect(refuseRoleChange("admin", member, "admin", team(1, 1))).toBeNull();
    expect(refuseRoleChange("admin", admin, "member", team(1, 2))).toBeNull();
    expect(refuseRoleChange("admin", owner, "admin", team(2, 1))?.code).toBe("owner_only");
    expect(refuseRemoval("admin", owner, team(2, 1))?.code).toBe("owner_only");
    expect(refuseRemoval("admin", member, team(1, 1))).toBeNull();
  });

  test("only owners make, invite or demote owners", () => {
    expect(refuseRoleChange("admin", member, "owner", team(1, 1))?.code).toBe("owner_only");
    expect(refuseInvite("admin", "owner")?.code).toBe("owner_only");
    expect(refuseInvite("admin", "admin")).toBeNull();
    expect(refuseRoleChange("owner", member, "owner", team(1, 0))).toBeNull();
    expect(refuseInvite("owner", "owner")).toBeNull();
    expect(refuseRoleChange("owner", owner, "admin", team(2, 0))).toBeNull();
  });

  test("the last owner stays, whoever asks", () => {
    expect(refuseRoleChange("owner", me, "admin", team(1, 3))).toMatchObject({ code: "last_owner", message: expect.stringContaining("You are the team's last owner") });
    expect(refuseRemoval("owner", me, team(1, 3))?.code).toBe("last_owner");
    expect(refuseRemoval("owner", me, team(2, 0))).toBeNull();
    // Keeping the role is no demotion.
    expect(refuseRoleChange("owner", me, "owner", team(1, 0))).toBeNull();
  });

  test("a team without an owner still keeps someone who can manage it", () => {
    const onlyAdmin = { role: "admin", isSelf: true } as const;
    expect(refuseRemoval("admin", onlyAdmin, team(0, 1))?.code).toBe("last_manager");
    expect(refuseRoleChange("admin", onlyAdmin, "member", team(0, 1))?.code).toBe("last_manager");
    expect(refuseRemoval("admin", onlyAdmin, team(0, 2))).toBeNull();
  });

  test("grants are for members; admins and owners hold everything already", () => {
    expect(refuseGrantChange(member)).toBeNull();
    expect(refuseGrantChange(admin)?.code).toBe("role_has_all");
    expect(refuseGrantChange(owner)?.code).toBe("role_has_all");
  });
});
