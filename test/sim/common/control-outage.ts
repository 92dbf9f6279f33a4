// The outage controls both simulators' control APIs offer: POST /offline {mode, forMs},
// POST /online and POST /delay {ms, count}. Injected error answers stay with each simulator,
// as the platforms fail differently (Discourse also answers 429).
import type { Router } from 'express';
import { int, optInt, type Body, type ControlHandle } from './control-input.js';
import type { SimulatorFaults } from './faults.js';

export interface Outage {
  faults: SimulatorFaults;
  goOffline(mode: '503' | 'refuse', forMs?: number): Promise<void>;
  goOnline(): Promise<void>;
}

/** `offlineMode` reads the body's mode: the simulators differ on an unknown one. */
export function addOutageRoutes(
  r: Router,
  handle: ControlHandle,
  outage: Outage,
  offlineMode: (body: Body) => '503' | 'refuse',
): void {
  r.post(
    '/offline',
    handle(async (b) => {
      await outage.goOffline(offlineMode(b), optInt(b, 'forMs'));
    }),
  );
  r.post(
    '/online',
    handle(() => outage.goOnline()),
  );
  r.post(
    '/delay',
    handle((b) => outage.faults.slow(int(b, 'ms'), optInt(b, 'count') ?? Infinity)),
  );
}
