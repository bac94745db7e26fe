import { readFileSync } from 'node:fs'

/**
 * What a V8 heap snapshot holds, by self size: per node type, and the biggest constructors or
 * strings, so "where the memory goes" is measured rather than guessed (issue 10).
 * Usage: tsx bench/heap-summary.ts file.heapsnapshot [count]
 */
interface Snapshot {
  snapshot: { meta: { node_fields: string[], node_types: [string[], ...unknown[]] } }
  nodes: number[]
  strings: string[]
}

const [file, countText] = process.argv.slice(2)
if (file === undefined) throw new Error('usage: heap-summary.ts file.heapsnapshot [count]')
const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot
const fields = snapshot.snapshot.meta.node_fields
const types = snapshot.snapshot.meta.node_types[0]
const width = fields.length
const typeAt = fields.indexOf('type')
const nameAt = fields.indexOf('name')
const sizeAt = fields.indexOf('self_size')
const byType = new Map<string, number>()
const byName = new Map<string, number>()
let total = 0
for (let i = 0; i < snapshot.nodes.length; i += width) {
  const type = types[snapshot.nodes[i + typeAt] ?? 0] ?? 'unknown'
  const size = snapshot.nodes[i + sizeAt] ?? 0
  const name = snapshot.strings[snapshot.nodes[i + nameAt] ?? 0] ?? ''
  total += size
  byType.set(type, (byType.get(type) ?? 0) + size)
  const key = type === 'object' || type === 'closure' || type === 'code' ? `${type}: ${name.slice(0, 60)}` : type === 'string' || type === 'concatenated string' || type === 'sliced string' ? `string (${size > 100_000 ? 'over 100 kB' : 'small'})` : `${type}: ${name.slice(0, 40)}`
  byName.set(key, (byName.get(key) ?? 0) + size)
}
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1).padStart(6)
console.log(`${mib(total)} MiB in the heap snapshot`)
for (const [type, size] of [...byType.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`${mib(size)} MiB  type ${type}`)
console.log('---')
for (const [key, size] of [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(countText ?? 20))) console.log(`${mib(size)} MiB  ${key}`)
