import { createHash } from 'node:crypto';
import { BOARD_PATH, SESSION_PATH } from './session';

/*
 * The browser's way into the queue board. An ADMIN signs in with email and password (the
 * shop's own `login` mutation on /graphql, same origin) or pastes an access token (a shop
 * whose tokens come from another identity provider, or a router in trusted-documents mode,
 * which refuses this page's mutation); the token is exchanged at POST /admin/session for
 * the board's cookie. The token stays in this page's memory only.
 */

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; max-width: 26rem; margin: 4rem auto; padding: 0 1rem; color: #1f2933; }
h1 { font-size: 1.4rem; }
label { display: block; margin-top: .8rem; }
input, textarea { width: 100%; box-sizing: border-box; padding: .4rem; font: inherit; }
textarea { height: 5rem; font-family: monospace; font-size: 12px; }
button { margin-top: 1rem; padding: .5rem 1.2rem; font: inherit; }
.hint { color: #52606d; font-size: .85rem; }
#status { margin-top: 1rem; min-height: 1.5rem; color: #b42318; }
`;

const SCRIPT = `
const form = document.getElementById('login');
const status = document.getElementById('status');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  status.textContent = 'Signing in…';
  try {
    let token = form.token.value.trim();
    if (!token) {
      const login = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation QueueBoardLogin($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
          variables: { email: form.email.value, password: form.password.value },
        }),
      });
      const result = await login.json();
      if (result.errors) throw new Error(result.errors[0].message);
      token = result.data.login.accessToken;
    }
    const session = await fetch(${JSON.stringify(SESSION_PATH)}, {
      method: 'POST',
      headers: { authorization: 'Bearer ' + token },
    });
    const answer = await session.json();
    if (!session.ok) throw new Error(answer.errors[0].message);
    location.assign(answer.board);
  } catch (error) {
    status.textContent = error.message;
  }
});
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * Only this page's own script and style run, it talks only to its own origin, and no
 * other site may frame it.
 */
export const LOGIN_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const LOGIN_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Queue board: sign in</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Queue board</h1>
<p>For ADMIN accounts. The session lasts at most 15 minutes.</p>
<form id="login">
  <label>Email <input name="email" type="email" autocomplete="username"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <label>…or an ADMIN access token <textarea name="token" spellcheck="false"></textarea></label>
  <p class="hint">A token, when given, is used instead of the email and password.</p>
  <button type="submit">Open the board</button>
</form>
<p id="status" role="status"></p>
<p class="hint">The board: <a href="${BOARD_PATH}/">${BOARD_PATH}/</a></p>
<script>${SCRIPT}</script>
</body>
</html>
`;
