import type { Context } from '../context';
import type { AuthResult, AuthService } from '../services/auth-service';
import type { MutationResolvers } from '../generated/graphql';

async function signedIn(ctx: Context, pending: Promise<AuthResult>): Promise<AuthResult> {
  const result = await pending;
  ctx.authenticatedUserId = result.user.id;
  return result;
}

export function authMutations(auth: AuthService): MutationResolvers {
  return {
    register: (_parent, { input }, ctx) =>
      signedIn(ctx, auth.register(input, ctx.clientIp, ctx.log)),
    login: (_parent, { email, password }, ctx) =>
      signedIn(ctx, auth.login(email, password, ctx.clientIp, ctx.log)),
    refreshToken: (_parent, { refreshToken }, ctx) =>
      signedIn(ctx, auth.refresh(refreshToken, ctx.log)),
    logout: (_parent, { refreshToken }, ctx) =>
      auth.logout(refreshToken, ctx.identity?.kind === 'user' ? ctx.identity.userId : null),
  };
}
