# Least privilege for a vh-secrets `vault-transit` rotation target (docs/targets.md): the token vh-secrets calls
# transit with may rotate one key, read its versions, raise its min_decryption_version, and encrypt / decrypt the
# verify probe. Replace `transit` with the target's `mount` and KEY_NAME with its `key` (one block set per key).
# It grants no export, no backup, no delete, no key creation and no rewrap: a `rewrap` command runs with a token
# of its own.

# issue (generate): make the next version.
path "transit/keys/KEY_NAME/rotate" {
  capabilities = ["update"]
}

# issue, apply, cleanup, describe: read the key's versions and settings (no key material: keys are not exportable).
path "transit/keys/KEY_NAME" {
  capabilities = ["read"]
}

# cleanup: raise min_decryption_version.
path "transit/keys/KEY_NAME/config" {
  capabilities = ["update"]
}

# verify: encrypt a random probe with the new version and decrypt it again.
path "transit/encrypt/KEY_NAME" {
  capabilities = ["update"]
}

path "transit/decrypt/KEY_NAME" {
  capabilities = ["update"]
}
