/**
 * `npm run bench:files`: file transfer throughput and server memory. A 1 GiB file goes up and
 * comes back down over loopback to a server child process on a temporary data directory; the
 * figures are set next to a plain sequential write (with fsync) of the same size on the same
 * disk in the same run, and the server's resident memory is sampled from /proc during transfers.
 *
 *   npm run bench:files                 1 GiB
 *   npm run bench:files -- --mib 256    another size
 *
 * Targets: upload and download ≥ 50% of the raw write; the server's peak RSS within 64 MiB of
 * its idle RSS.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { newId, nowIso } from '../src/server/db/util.js';
import { seedUsers, startDeployment } from './lib/setup.js';

const MIB = 1024 * 1024;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const totalMib = Number(arg('mib') ?? 1024);
const TOTAL = totalMib * MIB;
const CHUNK = randomBytes(MIB);

function rssKib(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
  return { rss: get('VmRSS'), hwm: get('VmHWM') };
}

/** Samples a process's RSS every 20 ms until stopped; answers the highest seen. */
function sampleRss(pid: number): () => number {
  let peak = rssKib(pid).rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssKib(pid).rss);
  }, 20);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssKib(pid).rss);
  };
}

async function rawWrite(dir: string): Promise<number> {
  const file = path.join(dir, 'raw-write.bin');
  const fh = await fs.open(file, 'w');
  const t0 = performance.now();
  for (let done = 0; done < TOTAL; done += MIB) await fh.write(CHUNK);
  await fh.sync();
  await fh.close();
  const secs = (performance.now() - t0) / 1000;
  await fs.rm(file);
  return TOTAL / MIB / secs;
}

function upload(url: string, token: string): Promise<{ mbps: number; id: string; sha256: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const t0 = performance.now();
    const req = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': TOTAL } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 201) return reject(new Error(`upload answered ${res.statusCode}: ${body}`));
        const info = JSON.parse(body) as { id: string; sha256: string };
        if (info.sha256 !== hash.digest('hex')) return reject(new Error('the server stored different bytes'));
        resolve({ mbps: TOTAL / MIB / ((performance.now() - t0) / 1000), id: info.id, sha256: info.sha256 });
      });
    });
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < TOTAL) {
        sent += MIB;
        hash.update(CHUNK);
        if (!req.write(CHUNK)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

function download(url: string, token: string): Promise<{ mbps: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`download answered ${res.statusCode}`));
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ mbps: bytes / MIB / ((performance.now() - t0) / 1000), bytes }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function main(): Promise<void> {
  const dep = await startDeployment({ nodes: 1, cpus: null, env: { PARLEY_MAX_FILE_BYTES: String(4 * 1024 * MIB) } });
  try {
    const node = dep.nodes[0]!;
    const [user] = await seedUsers(dep.ctx, 1);
    const u = await dep.ctx.db.selectFrom('users').select('org_id').where('id', '=', user!.id).executeTakeFirstOrThrow();
    await dep.ctx.db.updateTable('orgs').set({ policy: JSON.stringify({ maxFileBytes: 4 * 1024 * MIB }) }).where('id', '=', u.org_id).execute();
    const conversationId = newId();
    const at = nowIso();
    await dep.ctx.db
      .insertInto('conversations')
      .values({ id: conversationId, kind: 'group', org_id: u.org_id, title: 'Files', state: 'live', direct_key: null, pending_email: null, created_by: user!.id, created_at: at, last_seq: 0, last_activity_at: at })
      .execute();
    await dep.ctx.db.insertInto('conversation_members').values({ conversation_id: conversationId, user_id: user!.id, joined_at: at, left_at: null, last_read_seq: 0 }).execute();
    const token = user!.tokens[0]!;
    const upUrl = (name: string) => `${node.url}/api/v1/files?conversationId=${conversationId}&name=${name}`;

    // Warm up both paths so idle memory includes what any transfer loads once.
    const warm = await new Promise<string>((resolve, reject) => {
      const req = http.request(upUrl('warm.bin'), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' } }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve((JSON.parse(b) as { id: string }).id));
      });
      req.on('error', reject);
      req.end(randomBytes(4 * MIB));
    });
    await download(`${node.url}/api/v1/files/${warm}`, token);
    await new Promise((r) => setTimeout(r, 1000));

    console.log(`Parley file transfer benchmark: ${totalMib} MiB over loopback, data dir ${dep.dataDir}`);
    const raw = await rawWrite(dep.dataDir);
    console.log(`raw sequential write + fsync : ${raw.toFixed(0)} MB/s`);

    const idle = rssKib(node.pid).rss;
    const stopUp = sampleRss(node.pid);
    const up = await upload(upUrl('big.bin'), token);
    const peakUp = stopUp();
    console.log(`upload (stream, sha256, fsync): ${up.mbps.toFixed(0)} MB/s  (${((up.mbps / raw) * 100).toFixed(0)}% of raw)`);

    const stopDown = sampleRss(node.pid);
    const down = await download(`${node.url}/api/v1/files/${up.id}`, token);
    const peakDown = stopDown();
    if (down.bytes !== TOTAL) throw new Error(`downloaded ${down.bytes} bytes, expected ${TOTAL}`);
    console.log(`download                     : ${down.mbps.toFixed(0)} MB/s  (${((down.mbps / raw) * 100).toFixed(0)}% of raw write)`);

    const peak = Math.max(peakUp, peakDown);
    const grow = (peak - idle) / 1024;
    console.log(`server RSS idle ${(idle / 1024).toFixed(0)} MiB, peak during upload ${(peakUp / 1024).toFixed(0)} MiB, during download ${(peakDown / 1024).toFixed(0)} MiB (+${grow.toFixed(0)} MiB); VmHWM ${(rssKib(node.pid).hwm / 1024).toFixed(0)} MiB`);
    const okSpeed = up.mbps >= raw * 0.5 && down.mbps >= raw * 0.5;
    const okMem = grow <= 64;
    console.log(`targets: throughput ≥ 50% of raw write: ${okSpeed ? 'met' : 'NOT met'}; peak RSS within 64 MiB of idle: ${okMem ? 'met' : 'NOT met'}`);
  } finally {
    await dep.close();
  }
}

await main();
