import { z } from 'zod';
import { canvasId, exampleCanvasId, exampleTime, timestamp } from './common.js';

/**
 * A completion certificate Canvas issued to a student. Canvas has no certificate REST resource of
 * its own; certificates come from Canvas Credentials (formerly Badgr, Open Badges 2.0 assertions:
 * https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html#Assertion, whose
 * `issuedOn`, `expires`, `revoked`, `revocationReason` and `verification` these fields mirror) or
 * from module completion. Discourse shows it as a badge; the relay keeps an audit proof.
 */
export const certificateV1 = z.object({
  course_id: canvasId,
  user_id: canvasId,
  /** The issuer's id of the certificate (an Open Badges assertion id or a Canvas-side id). */
  certificate_id: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^/\s]+$/, 'must not contain "/" or spaces'),
  title: z.string().min(1).max(255),
  issued_at: timestamp,
  expires_at: timestamp.nullable(),
  /** Where anyone can check the certificate. */
  verification_url: z.url().optional(),
  revoked: z.boolean().default(false),
  revocation_reason: z.string().max(1000).optional(),
});
export type CertificateV1 = z.infer<typeof certificateV1>;

export const certificateKey = (p: CertificateV1): string =>
  `course:${p.course_id}/user:${p.user_id}/certificate:${p.certificate_id}`;

export function certificateExample(seq: number): CertificateV1 {
  const id = `cert-565-${seq}`;
  return {
    course_id: '565',
    user_id: exampleCanvasId(seq, 20000),
    certificate_id: id,
    title: 'Computer Science I: certificate of completion',
    issued_at: exampleTime(seq),
    expires_at: null,
    verification_url: `https://school.example.edu/certificates/${id}`,
    revoked: false,
  };
}
