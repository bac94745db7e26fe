import { createInterface } from 'node:readline'

/** One line from standard input, without its line ending (nothing else is trimmed). */
async function readLine (): Promise<string> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false })
  // The first line is all we want: the iterator is left at once.
  const first = await lines[Symbol.asyncIterator]().next()
  lines.close()
  return first.done === true ? '' : first.value
}

/** Prompts on the terminal without echoing what is typed. */
async function promptHidden (prompt: string): Promise<string> {
  process.stderr.write(prompt)
  const stdin = process.stdin
  stdin.setRawMode(true)
  stdin.resume()
  stdin.setEncoding('utf8')
  let value = ''
  return await new Promise<string>((resolve, reject) => {
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') {
          finish()
          resolve(value)
          return
        }
        if (char === '\u0003') {
          finish()
          reject(new Error('cancelled'))
          return
        }
        if (char === '\u007f') value = [...value].slice(0, -1).join('')
        else value += char
      }
    }
    const finish = (): void => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write('\n')
    }
    stdin.on('data', onData)
  })
}

/** The password comes from standard input (one line), or a hidden prompt on a terminal; never from argv. */
export async function readPassword (): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await promptHidden('Password: ')
    const second = await promptHidden('Repeat password: ')
    if (first !== second) throw new Error('the passwords do not match')
    return first
  }
  return await readLine()
}
