/**
 * Opaque keyset cursors over (created_at, id). The client sees base64url text it must not
 * parse; we decode it strictly, so a forged or damaged cursor is a 400, never a query error.
 * No signature is needed: every list query is also filtered by owner, so a hand-made cursor
 * can only move within the caller's own notes.
 */
import { validationFailed } from './problems.js'

export interface CursorPosition {
  createdAt: string
  id: string
}

const VERSION = 'v1'
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const BASE64URL = /^[A-Za-z0-9_-]+$/

export function encodeCursor (position: CursorPosition): string {
  return Buffer.from(`${VERSION}|${position.createdAt}|${position.id}`, 'utf8').toString('base64url')
}

/** The position a cursor names, or undefined when it is not one we made. */
export function decodeCursor (cursor: string): CursorPosition | undefined {
  if (!BASE64URL.test(cursor)) return undefined
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const [version, createdAt, id, ...rest] = text.split('|')
  if (version !== VERSION || createdAt === undefined || id === undefined || rest.length > 0) return undefined
  if (!TIMESTAMP.test(createdAt) || Number.isNaN(Date.parse(createdAt)) || !UUID.test(id)) return undefined
  // Only the canonical spelling: other texts that decode to the same bytes are refused.
  if (encodeCursor({ createdAt, id }) !== cursor) return undefined
  return { createdAt, id }
}

/** The `?cursor=` of a list request: absent means the first page; anything we did not issue is a 400. */
export function cursorParameter (cursor: string | undefined): CursorPosition | undefined {
  if (cursor === undefined) return undefined
  const position = decodeCursor(cursor)
  if (position === undefined) {
    throw validationFailed([{ pointer: '/cursor', message: 'is not a cursor this API issued', location: 'query' }], 'The cursor is not valid; start again without one.')
  }
  return position
}
