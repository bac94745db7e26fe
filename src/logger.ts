import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyLoggerOptions, FastifyRequest, RawServerDefault } from 'fastify'
import { destination, type DestinationStream, type LoggerOptions } from 'pino'
import type { Config } from './config.js'

/**
 * Anything that may hold a secret is censored before a line is written (requirement H2):
 * credentials in headers, and password or token fields wherever they sit in a logged object.
 * Forms: `a.b`, `a["b-c"]`, a leading `*` (any top-level key); compiled once by compileRedaction().
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.new_password',
  '*.current_password',
  '*.refresh_token',
  '*.access_token',
  '*.token',
  '*.reset_token',
  'password',
  'refresh_token',
  'access_token',
  'token',
  'reset_token'
]

export const CENSOR = '[REDACTED]'

/** A compiled path tree: a key either is censored (null) or leads to more keys. */
interface RedactionNode { readonly children: ReadonlyMap<string, RedactionNode | null> }

const SEGMENT = /(?:^|\.)([^.[\]"'*]+)|\[(?:"([^"]+)"|'([^']+)')\]/y

function segmentsOf (path: string): string[] {
  const wildcard = path.startsWith('*.')
  const rest = wildcard ? path.slice(2) : path
  const segments: string[] = wildcard ? ['*'] : []
  SEGMENT.lastIndex = 0
  while (SEGMENT.lastIndex < rest.length) {
    const match = SEGMENT.exec(rest)
    const segment = match?.[1] ?? match?.[2] ?? match?.[3]
    // Refused at start, not skipped: a path we cannot read must not silently censor nothing.
    if (segment === undefined) throw new Error(`unsupported redaction path: ${path}`)
    segments.push(segment)
  }
  if (segments.length === (wildcard ? 1 : 0)) throw new Error(`empty redaction path: ${path}`)
  return segments
}

function insert (tree: Map<string, RedactionNode | null>, segments: string[]): void {
  const [head, ...rest] = segments
  if (head === undefined) return
  if (rest.length === 0) {
    tree.set(head, null)
    return
  }
  const existing = tree.get(head)
  if (existing === null) return
  const children = existing === undefined ? new Map<string, RedactionNode | null>() : existing.children as Map<string, RedactionNode | null>
  if (existing === undefined) tree.set(head, { children })
  insert(children, rest)
}

/** A shallow copy that keeps the prototype (an Error stays an Error for its serializer). */
function shallowCopy (source: object): Record<string, unknown> {
  const prototype: unknown = Object.getPrototypeOf(source)
  if (prototype === Object.prototype || prototype === null) return { ...source as Record<string, unknown> }
  const descriptors = Object.getOwnPropertyDescriptors(source)
  for (const descriptor of Object.values(descriptors)) descriptor.configurable = true
  return Object.create(prototype as object, descriptors) as Record<string, unknown>
}

function setOwn (target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

/** Copy-on-write: the logged object is never changed (a request body stays intact); untouched objects are returned as they are. */
function redactObject (source: object, node: RedactionNode): object {
  let copy: Record<string, unknown> | undefined
  for (const [key, child] of node.children) {
    if (!Object.hasOwn(source, key)) continue
    const value: unknown = (source as Record<string, unknown>)[key]
    let replacement: unknown
    if (child === null) replacement = CENSOR
    else if (value !== null && typeof value === 'object') replacement = redactObject(value, child)
    else continue
    if (replacement === value) continue
    copy ??= shallowCopy(source)
    setOwn(copy, key, replacement)
  }
  return copy ?? source
}

function mergeNodes (a: RedactionNode | undefined, b: RedactionNode | undefined): RedactionNode | undefined {
  if (a === undefined || b === undefined) return a ?? b
  return { children: new Map([...b.children, ...a.children]) }
}

export type Redactor = (object: Record<string, unknown>) => Record<string, unknown>

/**
 * The redaction of REDACTED_PATHS as one function over the logged object, run by pino's
 * `formatters.log` and `formatters.bindings`. pino's own `redact` (issue 10, measured) cost
 * about 9 µs per line with the `*.x` paths: it re-parses every path for every key of every
 * line. This walks only the listed keys, with own-property lookups, and copies only what it
 * censors; test/security/log-redaction-paths.test.ts plants a canary at every path.
 */
export function compileRedaction (paths: readonly string[]): Redactor {
  const root = new Map<string, RedactionNode | null>()
  const wildcard = new Map<string, RedactionNode | null>()
  for (const path of paths) {
    const segments = segmentsOf(path)
    if (segments[0] === '*') insert(wildcard, segments.slice(1))
    else insert(root, segments)
  }
  const anyKey: RedactionNode | undefined = wildcard.size === 0 ? undefined : { children: wildcard }
  // A named key gets its own paths and the wildcard's, as in pino (`a.b.c` and `*.b.z` both apply under `a`).
  const named = new Map<string, RedactionNode | null>()
  for (const [key, node] of root) named.set(key, node === null ? null : mergeNodes(node, anyKey) ?? null)
  return function redact (object) {
    let copy: Record<string, unknown> | undefined
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue
      const value = object[key]
      const node = named.has(key) ? named.get(key) : anyKey
      let replacement: unknown
      if (node === null) replacement = CENSOR
      else if (node !== undefined && value !== null && typeof value === 'object') replacement = redactObject(value, node)
      else continue
      if (replacement === value) continue
      copy ??= { ...object }
      copy[key] = replacement
    }
    return copy ?? object
  }
}

const redact = compileRedaction(REDACTED_PATHS)

/** A caller's X-Request-Id is kept only when it is short and plain, so it cannot forge log content. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export function requestIdFor (raw: IncomingMessage): string {
  const header = raw.headers['x-request-id']
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID()
}

/** The path only: a query string may carry a token someone sent where it does not belong. */
export function pathOf (url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

function serializeRequest (request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, path: pathOf(request.url), ip: request.ip }
}

let lastMillisecond = -1
let lastTime = ''
/** ISO 8601 UTC as pino's isoTime writes it, formatted once per millisecond instead of once per line. */
export function isoTime (): string {
  const now = Date.now()
  if (now !== lastMillisecond) {
    lastMillisecond = now
    lastTime = `,"time":"${new Date(now).toISOString()}"`
  }
  return lastTime
}

/**
 * Standard output, written asynchronously in batches of at least 4 KiB (one write per many
 * lines instead of a blocking write per line: issue 10, measured), and at least every 500 ms so
 * a quiet instance's lines are not held back. Nothing is lost at shutdown: plugins/logging.ts
 * flushes on close, and pino flushes synchronously on process exit.
 */
export const LOG_FLUSH_INTERVAL_MS = 500
function standardOutput (): DestinationStream {
  return destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: LOG_FLUSH_INTERVAL_MS })
}

export type LoggerSetup = FastifyLoggerOptions<RawServerDefault> & LoggerOptions & { stream?: DestinationStream }

export function loggerOptions (config: Config, stream?: DestinationStream): LoggerSetup {
  return {
    level: config.LOG_LEVEL,
    timestamp: isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      // Every logged object and every child logger's bindings pass through the redaction (H2).
      log: redact,
      bindings: redact
    },
    serializers: {
      req: serializeRequest as unknown as (req: unknown) => Record<string, unknown>
    },
    stream: stream ?? standardOutput()
  }
}
