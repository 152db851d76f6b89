/** This package's version, as sent in the hello. */
export const VERSION: string = (require('../package.json') as { version: string }).version
