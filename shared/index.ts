/** What server and client share: the wire protocol, close codes and room-name rules. */
export * from './protocol.ts'
export * from './awareness-codec.ts'
export * from './close-codes.ts'
export * from './room-name.ts'
