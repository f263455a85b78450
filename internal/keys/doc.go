// Package keys holds the site master key and everything derived from it.
//
// One master key per site (32 random bytes in a file readable by the hub
// alone, made on first start) is the root of every secret the hub can
// recompute instead of storing:
//
//   - the credential digest key: credentials (card ids, PINs, phone keys) are
//     kept and compared as HMAC-SHA256 digests of their canonical form, never
//     as raw values (CredentialDigest, Digest);
//   - per-lock MQTT secrets and command keys, from the lock id and its key
//     generation (LockSecret, VerifyLockSecret, LockCommandKey): nothing per
//     lock is stored, and raising the generation re-issues both;
//   - secrets of integration MQTT users (UserSecret);
//   - keys for other subsystems (Derive).
//
// All derivations use HKDF-SHA256 (RFC 5869) with a distinct info label per
// purpose, so no two purposes can ever share key material. The master key
// never appears in logs: Master redacts itself in fmt and slog.
package keys
