/** Asking the person at the terminal. node:readline is loaded by the first question, not by every command. */

/** The answer to a yes/no question: `yes` only for "y" or "yes"; Ctrl-D is `no`; Ctrl-C is `interrupted`. */
export type Answer = 'yes' | 'no' | 'interrupted';

/** Asks `question` on the terminal and waits for a line. */
export async function askYesNo(question: string): Promise<Answer> {
  const readline = await import('node:readline');
  return new Promise((resolve) => {
    const prompt = readline.createInterface({ input: process.stdin, output: process.stdout });
    let answered = false;
    const finish = (answer: Answer) => {
      if (answered) return;
      answered = true;
      prompt.close();
      resolve(answer);
    };
    // In a prompt the terminal is in raw mode: Ctrl-C arrives here, not as a signal.
    prompt.on('SIGINT', () => {
      process.stdout.write('\n');
      finish('interrupted');
    });
    prompt.on('close', () => finish('no'));
    prompt.question(question, (text) => finish(/^\s*y(es)?\s*$/i.test(text) ? 'yes' : 'no'));
  });
}
