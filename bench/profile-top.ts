import { readFileSync } from 'node:fs'

/**
 * Top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`), so profiles before and
 * after a change can be compared as text. Usage: tsx bench/profile-top.ts file.cpuprofile [count] [skipSeconds]
 * (skipSeconds leaves out start-up: module loading, migrations, the first argon2 hashes).
 */
interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount?: number }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

const [file, countText, skipText] = process.argv.slice(2)
const skipMicros = Number(skipText ?? 0) * 1e6
if (file === undefined) throw new Error('usage: profile-top.ts file.cpuprofile [count]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const self = new Map<string, number>()
let total = 0
let elapsed = 0
profile.samples.forEach((id, index) => {
  const delta = profile.timeDeltas[index] ?? 0
  elapsed += delta
  if (elapsed < skipMicros) return
  const frame = byId.get(id)?.callFrame
  if (frame === undefined) return
  const where = frame.url === '' ? '' : ` ${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|src)\//, '$1/')}:${frame.lineNumber + 1}`
  const key = `${frame.functionName === '' ? '(anonymous)' : frame.functionName}${where}`
  self.set(key, (self.get(key) ?? 0) + delta)
  total += delta
})
const idle = self.get('(idle)') ?? 0
const busy = total - idle
console.log(`busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled; share of busy time:`)
const top = [...self.entries()].filter(([key]) => key !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, Number(countText ?? 10))
for (const [key, time] of top) console.log(`${(100 * time / busy).toFixed(1).padStart(5)} %  ${key}`)
