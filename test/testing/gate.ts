/** A gate an async function can wait on, opened by the test: how a test holds a batch in flight while messages queue. */
export function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}
