// The small HTTP vocabulary the gateway's parts share.
export interface GatewayResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

export const json = (status: number, value: unknown): GatewayResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
