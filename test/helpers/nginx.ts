import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, type Teardown } from './app.js'
import { stopProcess, waitUntil } from './processes.js'
import { freePort } from './redis.js'

export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx'

function executable (path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Like chromium for the browser test: the fleet test needs Debian's nginx (`.ci/run` installs it). */
export const NGINX_SKIP: string | false = executable(NGINX_BIN) ? false : `fleet test skipped: no nginx at ${NGINX_BIN} (apt-get install nginx-light, or set NGINX_BIN)`

/**
 * Retries, chosen with care (I4). `error` and `timeout` cover a refused connect (an instance
 * restarting) and a kept-alive connection the instance closed while nginx was sending on it.
 * `http_503` covers an instance that refused the request because it is draining: it refuses in
 * its first hook, before any handler runs. `non_idempotent` lets nginx retry POSTs in those
 * cases too; that is safe here because none of them ran the request: a refused or reset
 * connection never delivered it, and a draining 503 is answered before the handler. The cost:
 * a POST that timed out after the instance got it (proxy_read_timeout, 30 s, far beyond every
 * bound of ours) or a 503 from a dependency failing mid-request could run twice, so a write
 * that must not repeat needs an idempotency key. `http_502` is left out: our instances never
 * answer 502, and nginx's own failure to reach one is `error`.
 */
const NEXT_UPSTREAM = 'error timeout http_503 non_idempotent'

export interface Nginx {
  port: number
  pid: number
  url: string
  errorLog: string
}

function config (dir: string, port: number, upstreams: number[]): string {
  const temp = (name: string): string => join(dir, 'temp', name)
  const root = process.getuid?.() === 0
  return `
${root ? 'user root;' : ''}
daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 512; }
http {
  access_log ${join(dir, 'access.log')};
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  upstream api {
${upstreams.map((upstream) => `    server 127.0.0.1:${upstream} max_fails=1 fail_timeout=2s;`).join('\n')}
    # Kept-alive connections to the instances: the case where a restart must close them cleanly.
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream ${NEXT_UPSTREAM};
      proxy_next_upstream_tries 3;
      proxy_next_upstream_timeout 10s;
      proxy_connect_timeout 1s;
      proxy_read_timeout 30s;
    }
  }
}
`
}

/** Starts nginx in the foreground with its own config, pid file, logs and temp paths in a temp dir. */
export async function startNginx (t: Teardown, upstreams: number[]): Promise<Nginx> {
  const dir = tempDir(t, 'secure-api-nginx-')
  mkdirSync(join(dir, 'temp'), { recursive: true })
  const port = await freePort()
  const file = join(dir, 'nginx.conf')
  writeFileSync(file, config(dir, port, upstreams))
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', dir, '-e', join(dir, 'error.log'), '-c', file], { stdio: 'ignore' })
  t.teardown(async () => { await stopProcess(child, 'SIGQUIT', 5000) })
  const pid = child.pid
  if (pid === undefined) throw new Error('nginx did not start')
  const url = `http://127.0.0.1:${port}`
  await waitUntil(async () => (await fetch(`${url}/health`).then((response) => response.status, () => 0)) === 200, 15_000, 'nginx to proxy /health')
  return { port, pid, url, errorLog: join(dir, 'error.log') }
}
