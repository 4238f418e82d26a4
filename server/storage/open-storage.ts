import { join } from 'node:path'
import { createMemoryStorage } from './memory.ts'
import type { DocumentStorage } from './types.ts'

/** Which storage the CLI settings ask for. */
export interface StorageChoice {
  memory: boolean
  databaseUrl: string
  dataDir: string
}

/** The file the embedded storage keeps under `--data`. */
export const SQLITE_FILE_NAME = 'collab-relay.sqlite'

/**
 * Open the storage the settings choose: memory, PostgreSQL, or (default)
 * SQLite under the data directory. The database drivers are imported only
 * when chosen, so `--memory` works even where the native SQLite module is
 * missing.
 */
export async function openStorage(choice: StorageChoice): Promise<{ storage: DocumentStorage; description: string }> {
  if (choice.memory) {
    return { storage: createMemoryStorage(), description: 'in memory only (--memory): nothing is written to disk' }
  }
  if (choice.databaseUrl) {
    const { createPostgresStorage } = await import('./postgres.ts')
    const storage = await createPostgresStorage({ connectionString: choice.databaseUrl })
    return { storage, description: `PostgreSQL at ${redactPassword(choice.databaseUrl)}` }
  }
  const { createSqliteStorage } = await import('./sqlite.ts')
  const file = join(choice.dataDir, SQLITE_FILE_NAME)
  return { storage: createSqliteStorage({ file }), description: `SQLite at ${file}` }
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'the configured database'
  }
}
