/** Sends "typing" at most once per interval per chat, however fast keys come. */
export class TypingThrottle {
  private last = new Map<string, number>();

  constructor(
    private readonly send: (conversationId: string) => void,
    private readonly intervalMs = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  typed(conversationId: string): boolean {
    const t = this.now();
    const prev = this.last.get(conversationId);
    if (prev !== undefined && t - prev < this.intervalMs) return false;
    this.last.set(conversationId, t);
    this.send(conversationId);
    return true;
  }

  /** After sending a message the next keystroke announces typing again at once. */
  reset(conversationId: string): void {
    this.last.delete(conversationId);
  }
}
