import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { checkSignIn } from "@/lib/dal/credentials";
import { revokeSession, sessionClientOf, SESSION_TTL_SECONDS, startSession } from "@/lib/dal/sessions";
import { guardedAttempt, signInBuckets } from "@/lib/security/attempts";
import { clientAddress } from "@/lib/security/client-address";
import { safeDestination } from "@/lib/security/safe-redirect";

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; name: string };
    /** The user_sessions row this cookie stands for; checked on every request. */
    sessionId?: string;
  }
  interface User {
    sessionId?: string;
  }
}

/** Refused before the password is checked: too many failures for the account or the address. */
export class SignInThrottled extends CredentialsSignin {
  override code = "throttled";
  constructor(readonly retryAfterSeconds: number) {
    super();
  }
}

const credentials = z.object({ email: z.email().max(320), password: z.string().min(1).max(200) });

/** The sign-in form tells a disabled account apart (only once the password was right). */
export class AccountDisabled extends CredentialsSignin {
  override code = "disabled";
}

/**
 * Auth.js with credentials and a JWT that carries only the user id and a session id. The session
 * is a row in user_sessions: every request checks it is live and reads roles and permissions from
 * the database, so sign-out, a password change or disabling the user take effect on the next one.
 */
export const { handlers, auth, signIn, signOut } = NextAuth({
  trustHost: true,
  session: { strategy: "jwt", maxAge: SESSION_TTL_SECONDS },
  pages: { signIn: "/sign-in" },
  providers: [
    Credentials({
      credentials: { email: {}, password: {} },
      // Every credentials sign-in passes here (the form's action and a direct POST to
      // /api/auth/callback/credentials alike), so the limits live here.
      async authorize(raw, request) {
        const parsed = credentials.safeParse(raw);
        if (!parsed.success) throw new CredentialsSignin();
        const { email, password } = parsed.data;
        const attempt = await guardedAttempt(signInBuckets(email, clientAddress(request.headers)), () => checkSignIn(email, password), (found) => found !== null);
        if (!attempt.ok) throw new SignInThrottled(attempt.retryAfterSeconds);
        const user = attempt.value;
        if (user === "disabled") throw new AccountDisabled();
        if (!user) throw new CredentialsSignin();
        const sessionId = await startSession(user.id, sessionClientOf(request.headers));
        return { id: user.id, email: user.email, name: user.name, sessionId };
      },
    }),
  ],
  callbacks: {
    // Auth.js's default lets any path through; ours lets only safe same-origin paths through.
    redirect({ url, baseUrl }) {
      return `${baseUrl}${safeDestination(url, baseUrl)}`;
    },
    jwt({ token, user }) {
      if (user?.id) {
        token.sub = user.id;
        token.sid = user.sessionId;
      }
      return token;
    },
    session({ session, token }) {
      if (token.sub) session.user.id = token.sub;
      if (typeof token.sid === "string") session.sessionId = token.sid;
      return session;
    },
  },
  events: {
    async signOut(message) {
      if ("token" in message && typeof message.token?.sid === "string") await revokeSession(message.token.sid);
    },
  },
});
