import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { json } from '../../helpers/app.js'
import { bearer } from '../../helpers/users.js'

export interface NoteBody {
  id: string
  title: string
  body: string
  created_at: string
  updated_at: string
}

export interface NotePageBody {
  items: NoteBody[]
  next_cursor: string | null
}

/** Creates a note through the API and returns it; throws on anything but 201. */
export async function createNote (app: FastifyInstance, token: string, title = 'A title', body = 'A body'): Promise<NoteBody> {
  const response = await app.inject({ method: 'POST', url: '/notes', headers: bearer(token), payload: { title, body } })
  if (response.statusCode !== 201) throw new Error(`create failed: ${response.statusCode} ${response.body}`)
  return json<NoteBody>(response)
}

export async function listPage (app: FastifyInstance, token: string, query = ''): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: `/notes${query}`, headers: bearer(token) })
}

/** Every page of the caller's notes, following next_cursor, with the given page size. */
export async function listAll (app: FastifyInstance, token: string, limit: number): Promise<NoteBody[]> {
  const all: NoteBody[] = []
  let cursor: string | null = null
  do {
    const query: string = `?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
    const response = await listPage(app, token, query)
    if (response.statusCode !== 200) throw new Error(`list failed: ${response.statusCode} ${response.body}`)
    const page = json<NotePageBody>(response)
    all.push(...page.items)
    cursor = page.next_cursor
  } while (cursor !== null)
  return all
}
