/** The demo tenant's printer ids (fixed, see sandbox/simulator/demo-tenant.ts). */
const id = (n: number) => `9f8e7d6c-0000-4000-8000-${String(n).padStart(12, '0')}`;

export const DEMO_PRINTER_IDS = {
  floor1Color: id(1),
  floor2Mono: id(2),
  library: id(3),
  hr: id(4),
  pullQueue: id(5),
} as const;
