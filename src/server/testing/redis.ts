import { Redis } from 'ioredis';

/** Ends the subscriber connection named `name` from Redis's side, as a Redis restart would. */
export async function killSubscriber(url: string, name: string): Promise<void> {
  const raw = new Redis(url);
  try {
    const list = (await raw.call('CLIENT', 'LIST')) as string;
    const line = list.split('\n').find((l) => l.includes(` name=${name} `) && / sub=[1-9]/.test(l));
    if (!line) throw new Error(`no subscriber named ${name}`);
    await raw.call('CLIENT', 'KILL', 'ID', /\bid=(\d+)/.exec(line)![1]!);
  } finally {
    raw.disconnect();
  }
}
