import type { IncomingMessage, Server } from 'node:http'
import type { Socket } from 'node:net'
import { Server as TlsServer } from 'node:tls'
import type { Duplex } from 'node:stream'

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

const REQUEST_TIMEOUT_RESPONSE = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'

/**
 * Give every new connection `timeoutMs` from the moment it is accepted to
 * finish the headers of its first request (a plain request or an upgrade);
 * one that has not is answered 408 and disconnected. With TLS the budget
 * covers the TLS handshake too.
 *
 * Node's `headersTimeout` alone is not enough: it counts from the request's
 * first byte, not from the connection, so a client that waits almost the
 * whole timeout before its first byte and then trickles the rest holds the
 * socket for twice as long (measured: 2.5 s for a 1 s timeout). It still
 * guards the later requests of a keep-alive connection, which an idle
 * connection reaches only within `keepAliveTimeout` (5 s).
 *
 * The upgrade listeners already on `server` are wrapped, not joined by one
 * of our own: `@hono/node-server` writes its refusals only while it is the
 * sole `upgrade` listener (see `refuseMalformedUpgrades`). Call it after
 * `createAdaptorServer` and `refuseMalformedUpgrades`.
 */
export function enforceHandshakeDeadline(server: Server, timeoutMs: number): void {
  const timers = new WeakMap<object, ReturnType<typeof setTimeout>>()
  const acceptedAt = new WeakMap<object, number>()

  const arm = (socket: Socket, budgetMs: number): void => {
    const timer = setTimeout(() => {
      timers.delete(socket)
      if (socket.destroyed) return
      // As Node answers its own header timeout; the socket goes at once, whatever the client does.
      if (socket.writable) socket.write(REQUEST_TIMEOUT_RESPONSE)
      socket.destroy()
    }, budgetMs)
    timers.set(socket, timer)
    socket.on('close', disarmOnClose)
  }
  const headersDone = (socket: object): void => {
    const timer = timers.get(socket)
    if (timer === undefined) return
    clearTimeout(timer)
    timers.delete(socket)
    // Nothing of the deadline stays with a socket that made it: it may live for days.
    ;(socket as Socket).off?.('close', disarmOnClose)
  }
  // One listener function for every socket (it finds the timer by socket), not a closure each.
  function disarmOnClose(this: Socket): void {
    headersDone(this)
  }

  if (server instanceof TlsServer) {
    // 'connection' brings the TCP socket, 'secureConnection' the TLS socket
    // requests arrive on, once the handshake is done (bounded by the TLS
    // server's own `handshakeTimeout`). The clock starts at the first.
    server.on('connection', (raw: Socket) => acceptedAt.set(raw, performance.now()))
    server.on('secureConnection', (socket: Socket) => {
      // `_parent` (the TCP socket under a TLS socket) is private; without it
      // the budget restarts at the handshake, which errs on the lenient side.
      const parent = (socket as unknown as { _parent?: object })._parent
      const started = (parent && acceptedAt.get(parent)) ?? performance.now()
      arm(socket, Math.max(0, timeoutMs - (performance.now() - started)))
    })
  } else {
    server.on('connection', (socket: Socket) => arm(socket, timeoutMs))
  }

  server.on('request', (request: IncomingMessage) => headersDone(request.socket))
  const listeners = server.listeners('upgrade') as UpgradeListener[]
  server.removeAllListeners('upgrade')
  server.on('upgrade', function (this: Server, request: IncomingMessage, socket: Duplex, head: Buffer) {
    headersDone(socket)
    for (const listener of listeners) listener.call(this, request, socket, head)
  })
}
