#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader, so a fresh
// checkout needs `npm ci` and nothing else (no build step to remember).
import { register } from 'tsx/esm/api'

register()
await import('../server/main.ts')
