export * from './events'
export { checkMessage, validateEvent, isValidEvent, type EventIssue } from './validate'
export { MESSAGE_SCHEMAS } from './messages'
export { eventJsonSchema } from './json-schema'
