import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { api } from '../../shared/api/index.js';
import type { Message } from '../../shared/api/shapes.js';
import type { ParleyClient } from '../../shared/client.js';
import { RealtimeClient } from '../../shared/realtime-client.js';
import { removeCredentials, writeCredentials } from '../client/credentials.js';
import { conversationLine, eventLine, People, chatName, oneLine } from '../client/format.js';
import { readPassword } from '../client/prompt.js';
import { apiClient, callApi, EXIT, explain, isNetworkError, normalizeServer, requestTimeoutMs, requireLogin } from '../client/session.js';
import { cliWebSocket } from '../client/socket.js';
import { CliError, print, printErr } from '../util.js';
import { registerFilesCommands, uploadFiles } from './files.js';

/**
 * The user client: it goes only through the HTTP API (ParleyClient), exactly like the web
 * client, so it has no path the others lack.
 */
export function registerClientCommands(program: Command): void {
  program
    .command('login')
    .description('sign in to a Parley server and remember the session')
    .requiredOption('--server <url>', 'the server, e.g. https://chat.example.com')
    .requiredOption('--email <email>', 'your email address')
    .option('--password <password>', 'your password (asked for when omitted)')
    .action(async (opts: { server: string; email: string; password?: string }) => {
      const server = normalizeServer(opts.server);
      const password = opts.password ?? (await readPassword(`Password for ${opts.email}: `));
      const res = await callApi(server, () => apiClient(server).call(api.auth.login, { body: { email: opts.email, password } }));
      // Whatever answered may not be Parley at all (a web page, another API): nothing is saved then.
      if (typeof res?.token !== 'string' || !res.token || typeof res.user?.email !== 'string' || typeof res.user.id !== 'string') {
        throw new CliError(`${server} does not look like a Parley server (its answer to sign-in has no session)`, EXIT.apiError);
      }
      const file = writeCredentials({ server, token: res.token, email: res.user.email, userId: res.user.id });
      print(`Logged in to ${server} as ${res.user.displayName} <${res.user.email}> (${res.user.orgName}).`);
      print(`Session saved in ${file}`);
    });

  program
    .command('logout')
    .description('end the session and forget it')
    .action(async () => {
      const { creds, api: client } = requireLogin();
      try {
        await client.call(api.auth.logout);
      } catch (err) {
        const e = explain(creds.server, err);
        // The session is kept when the server could not be told: it would stay valid there, and
        // the token is what a later `parley logout` needs to end it.
        if (e instanceof CliError && e.exitCode === EXIT.unreachable) throw new CliError(`${e.message}; still logged in, try again later`, EXIT.unreachable);
        if (!(e instanceof CliError && e.exitCode === EXIT.notLoggedIn)) printErr(`parley: warning: ${e.message}`);
      }
      removeCredentials();
      print('Logged out.');
    });

  program
    .command('chats')
    .description('list your chats, most recent first')
    .option('--limit <n>', 'how many', '30')
    .action(async (opts: { limit: string }) => {
      const { creds, api: client } = requireLogin();
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new CliError('--limit must be a whole number from 1 to 100', 2);
      const page = await callApi(creds.server, () => client.call(api.conversations.list, { query: { limit } }));
      if (page.items.length === 0) print('No chats yet. Start one with `parley chat start <email>`.');
      for (const c of page.items) print(conversationLine(c, creds.userId));
    });

  program
    .command('chat')
    .description('chats')
    .command('start <email>')
    .description('start communicating with a person by email (the same endpoint the web client uses)')
    .option('--invite', 'email an invitation when they have no account yet')
    .action(async (email: string, opts: { invite?: boolean }) => {
      const { creds, api: client } = requireLogin();
      const c = await callApi(creds.server, () => client.call(api.conversations.startDirect, { body: { email, invite: opts.invite } }));
      const note = c.state === 'live' ? '' : ` (${c.state}${c.reasonMessage ? `: ${oneLine(c.reasonMessage)}` : ''})`;
      print(`${c.id}  chat with ${oneLine(chatName(c, creds.userId), 300)}${note}`);
    });

  program
    .command('send <conversation> [text...]')
    .description('send a message to a chat (its id, or a person\'s email)')
    .option('--file <path>', 'attach a file (repeatable; the text is then optional)', (v: string, all: string[]) => [...all, v], [] as string[])
    .action(async (conversation: string, words: string[], opts: { file: string[] }) => {
      const { creds, api: client } = requireLogin();
      const text = words.join(' ');
      if (!text.trim() && opts.file.length === 0) throw new CliError('Say something, or attach a file with --file', 2);
      const started = conversation.includes('@') ? await callApi(creds.server, () => client.call(api.conversations.startDirect, { body: { email: conversation } })) : null;
      const id = started?.id ?? conversation;
      const fileIds = await uploadFiles(client, creds.server, id, opts.file);
      const m = await callApi(creds.server, () => sendWithRetry(client, id, text, randomUUID(), fileIds));
      print(`sent #${m.seq} to ${m.conversationId} (${m.id})`);
      // Someone not on Parley yet gets it when they join: say so, rather than let it look delivered.
      if (started?.state === 'pending') print(`${conversation} is not on Parley yet: the message is delivered when they join (parley chat start ${conversation} --invite invites them)`);
    });

  program
    .command('watch')
    .description('print events as they happen, one line each; reconnects and catches up')
    .option('--exit-after <n>', 'exit after this many messages (for scripts)')
    .action(async (opts: { exitAfter?: string }) => {
      const exitAfter = opts.exitAfter === undefined ? Infinity : Number(opts.exitAfter);
      if (!(exitAfter >= 1)) throw new CliError('--exit-after must be a positive number', 2);
      await watch(exitAfter);
    });

  registerFilesCommands(program);
}

/** Sends once, and on a network failure once more with the same clientId (never a duplicate). */
export async function sendWithRetry(client: ParleyClient, conversationId: string, body: string, clientId: string = randomUUID(), fileIds?: string[]): Promise<Message> {
  const send = () => client.call(api.messages.send, { params: { id: conversationId }, body: { clientId, body, fileIds: fileIds?.length ? fileIds : undefined } });
  try {
    return await send();
  } catch (err) {
    if (!isNetworkError(err)) throw err;
    await new Promise((r) => setTimeout(r, 500));
    return send();
  }
}

async function watch(exitAfter: number): Promise<void> {
  const { creds, api: client } = requireLogin();
  const people = new People();
  let messages = 0;
  let done = false;
  await new Promise<void>((resolve, reject) => {
    const rt: RealtimeClient = new RealtimeClient({
      api: client,
      WebSocket: cliWebSocket(creds.token, requestTimeoutMs()),
      tokenInUrl: false,
      syncConversations: true,
      // Every list read (at start and after each reconnect) names the people of chats made meanwhile.
      onConversations: (list) => {
        for (const c of list) people.learn(c);
      },
      onEvent: (e) => {
        // A catch-up delivers many at once: nothing is printed past --exit-after.
        if (done) return;
        const line = eventLine(e, people);
        if (line) print(line);
        if (e.type === 'message.created' && ++messages >= exitAfter) finish();
      },
      onStatus: (status, detail) => {
        if (status === 'reconnecting' && detail?.retryInMs !== undefined) {
          printErr(`parley: connection lost; reconnecting in ${(detail.retryInMs / 1000).toFixed(1)} s`);
        } else if (status === 'ended') {
          fail(new CliError('Your session has ended: run `parley login` again', EXIT.notLoggedIn));
        }
      },
      onError: (err) => printErr(`parley: ${explain(creds.server, err).message}`),
    });
    const onSignal = () => finish();
    function cleanup() {
      done = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      rt.close();
    }
    function finish() {
      cleanup();
      resolve();
    }
    function fail(err: Error) {
      cleanup();
      reject(err);
    }
    // Checks the session and the server before streaming, so those failures are reported plainly.
    callApi(creds.server, () => client.call(api.auth.me)).then(
      () => {
        print(`Watching as ${creds.email} on ${creds.server} (Ctrl-C to stop)`);
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        rt.connect();
      },
      (err: Error) => fail(err),
    );
  });
}
