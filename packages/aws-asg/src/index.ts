// Public API of @open-hostfactory/aws-asg. Explicit re-exports only.
export { asgErrorCode, mapAsgError } from './errors';
