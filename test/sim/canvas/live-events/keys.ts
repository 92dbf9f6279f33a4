// The Live Events signing keys, as Canvas Data Services publishes them: an RS256 JWKS holding the
// previous, current and next key (the current one in the middle), rotated monthly; each event is
// signed with the current key and names it by `kid`.
// https://developerdocs.instructure.com/services/canvas/data-services/live-events/overview/file.data_service_setup
// https://guides.instructure.com/m/4214/l/1245281-how-do-i-configure-and-test-canvas-live-events-using-https-delivery
// ("decoded using RS256 ... matched against one of the kid values ... The most current kid is the
// one in the middle"; the production JWKS is at https://8axpcl50e4.execute-api.us-east-1.amazonaws.com/main/jwks).
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

const ALG = 'RS256';

interface SigningKey {
  kid: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  publicJwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
  return { kid, privateKey, publicJwk };
}

export class LiveEventsKeys {
  private constructor(private keys: [SigningKey, SigningKey, SigningKey]) {}

  static async create(): Promise<LiveEventsKeys> {
    return new LiveEventsKeys([await newKey(), await newKey(), await newKey()]);
  }

  /** `{keys: [previous, current, next]}`: public keys only. */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  get currentKid(): string {
    return this.keys[1].kid;
  }

  /** The monthly rotation: previous is retired, current becomes previous, next becomes current. */
  async rotate(): Promise<{ previous: string; current: string; next: string }> {
    const [, current, next] = this.keys;
    this.keys = [current, next, await newKey()];
    return { previous: this.keys[0].kid, current: this.keys[1].kid, next: this.keys[2].kid };
  }

  /** A compact JWT whose claims are the event, signed with the current key. */
  async sign(claims: JWTPayload): Promise<string> {
    const key = this.keys[1];
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
      .sign(key.privateKey);
  }
}
