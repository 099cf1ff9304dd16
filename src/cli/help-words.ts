/** Words several commands' help texts share, spelled once (and loading nothing: help must stay fast). */
export const SECRET_TYPES_HELP = 'database_password, api_key, jwt_secret, encryption_key, webhook_secret, oauth_client_secret, tls_private_key, generic';

/** The per-secret rotation mark (src/rotation/managed.ts), spelled here so help loads no rotation code. */
export const ROTATION_MODE_KEY = 'vh-rotation-mode';
