/**
 * How much heap idle-room unloading gives back. Not a test; run with
 *   node --expose-gc --import tsx scripts/measure-unload.ts
 * 200 rooms each get ~20 KB of text through stock clients; every client
 * leaves; heap is measured (after GC) with the rooms still loaded, then once
 * they have unloaded. The in-memory storage holds the same bytes both times,
 * so the difference is the rooms' documents and bookkeeping.
 */
import { connectClient, startRelay, waitFor, waitSynced } from '../tests/support/harness.ts'

const ROOMS = 200
const CHUNKS = 20
const CHUNK = 'x'.repeat(1023) + '\n' // 20 × 1 KiB ≈ 20 KB per room
const BATCH = 25
const IDLE_MS = 5_000

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc --import tsx scripts/measure-unload.ts')

function heapMb(): number {
  // Several passes: one GC can leave work for finalizers and weak maps.
  for (let i = 0; i < 4; i++) gc!()
  return process.memoryUsage().heapUsed / 1024 / 1024
}

// Each stock provider holds a process 'exit' listener while it lives.
process.setMaxListeners(BATCH + 10)

const relay = await startRelay({ roomIdleMs: IDLE_MS })
const { relay: core } = relay
try {
  const baselineMb = heapMb()
  for (let start = 0; start < ROOMS; start += BATCH) {
    const names = Array.from({ length: Math.min(BATCH, ROOMS - start) }, (_, i) => `room-${start + i}`)
    const clients = names.map((name) => connectClient(relay.wsUrl, name))
    await Promise.all(clients.map((c) => waitSynced(c, 15_000)))
    for (const c of clients) for (let i = 0; i < CHUNKS; i++) c.text.insert(c.text.length, CHUNK)
    // Stored means committed by the room, i.e. applied to its document.
    await Promise.all(
      names.map((name) =>
        waitFor(async () => (await core.storage.load(name)).bytes >= CHUNKS * CHUNK.length, `${name} stored`, 15_000),
      ),
    )
    for (const c of clients) c.destroy()
  }
  await waitFor(() => core.stats().connections === 0, 'every client gone', 15_000)

  const loadedMb = heapMb()
  const loadedRooms = core.stats().rooms
  if (loadedRooms !== ROOMS) throw new Error(`expected ${ROOMS} loaded rooms, found ${loadedRooms} (raise IDLE_MS)`)

  await waitFor(() => core.stats().rooms === 0, 'every room unloaded', IDLE_MS + 15_000)
  const unloadedMb = heapMb()

  let storedBytes = 0
  for (const name of await core.storage.list()) storedBytes += (await core.storage.load(name)).bytes
  const fmt = (mb: number): string => `${mb.toFixed(1)} MB`
  console.log(`rooms: ${ROOMS} × ~${((CHUNKS * CHUNK.length) / 1000).toFixed(0)} KB text (${(storedBytes / 1e6).toFixed(1)} MB in storage)`)
  console.log(`heapUsed at start:            ${fmt(baselineMb)}`)
  console.log(`heapUsed, ${loadedRooms} rooms loaded:    ${fmt(loadedMb)}`)
  console.log(`heapUsed, ${core.stats().rooms} rooms (unloaded):  ${fmt(unloadedMb)}`)
  console.log(`freed by unloading:           ${fmt(loadedMb - unloadedMb)} (${(((loadedMb - unloadedMb) * 1024) / ROOMS).toFixed(0)} KB per room)`)
} finally {
  await relay.close()
}
