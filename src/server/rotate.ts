import { Keyring, type SecretKey } from './crypto.js';
import { nowIso, type StorageHandle } from './db.js';

export interface RotationResult {
  newKeyId: string;
  connections: number;
  webhooks: number;
  oauthStates: number;
}

/**
 * Re-encrypts every stored secret under `next`. `readable` must hold every key that existing rows were
 * sealed with (the current key and INTACCT_CONNECT_OLD_SECRET_KEYS); a row under an unknown key aborts the
 * whole rotation before anything is written, so nothing is left half-rotated.
 */
export async function rotateKeys(
  storage: StorageHandle,
  readable: Keyring,
  next: SecretKey,
  actor = 'cli',
): Promise<RotationResult> {
  const writer = new Keyring(next);
  const result: RotationResult = { newKeyId: next.id, connections: 0, webhooks: 0, oauthStates: 0 };
  await storage.db.transaction().execute(async (trx) => {
    const connections = await trx.selectFrom('connections').select(['id', 'credentials', 'key_id']).execute();
    const webhooks = await trx.selectFrom('webhooks').select(['id', 'secret', 'key_id']).execute();
    const states = await trx
      .selectFrom('oauth_states')
      .select(['state_hash', 'verifier', 'key_id'])
      .execute();
    // Decrypt everything first: an unreadable row stops the rotation with nothing changed.
    const plainConnections = connections.map((c) => ({ id: c.id, plain: readable.open(c.credentials) }));
    const plainHooks = webhooks.map((w) => ({ id: w.id, plain: readable.open(w.secret) }));
    const plainStates = states.map((s) => ({ id: s.state_hash, plain: readable.open(s.verifier) }));
    for (const c of plainConnections) {
      const sealed = writer.seal(c.plain);
      await trx
        .updateTable('connections')
        .set({ credentials: sealed.blob, key_id: sealed.keyId })
        .where('id', '=', c.id)
        .execute();
      result.connections++;
    }
    for (const w of plainHooks) {
      const sealed = writer.seal(w.plain);
      await trx
        .updateTable('webhooks')
        .set({ secret: sealed.blob, key_id: sealed.keyId })
        .where('id', '=', w.id)
        .execute();
      result.webhooks++;
    }
    for (const s of plainStates) {
      const sealed = writer.seal(s.plain);
      await trx
        .updateTable('oauth_states')
        .set({ verifier: sealed.blob, key_id: sealed.keyId })
        .where('state_hash', '=', s.id)
        .execute();
      result.oauthStates++;
    }
    await trx
      .insertInto('audit_log')
      .values({
        at: nowIso(),
        actor,
        action: 'keys.rotated',
        connection_id: null,
        detail: JSON.stringify(result),
      })
      .execute();
  });
  return result;
}
