/**
 * `serve({ tls })` over loopback with certificates generated here: HTTPS, and mTLS where a
 * client must present a certificate signed by the configured authority.
 */
import { generate } from "selfsigned";
import { StateFun, serve, silentLogger, type StateFunServer } from "../../src";
import { addr, request, result, tv } from "../requests";
import { send } from "./client";

type Pems = Awaited<ReturnType<typeof generate>>;

let runs = 0;
const sf = new StateFun({ logger: silentLogger }).bind({
  typename: "example/secure",
  specs: [{ name: "n", type: StateFun.intType() }],
  fn(ctx) {
    runs++;
    ctx.storage.n = (ctx.storage.n ?? 0) + 1;
  },
});
const body = request({ target: addr("example/secure", "1"), state: { n: null }, invocations: [{ argument: tv(StateFun.stringType(), "x") }] });

const EC = { keyType: "ec", algorithm: "sha256" } as const;

/** A certificate authority, and the certificates it signs for the server and a client. */
interface Pki {
  ca: Pems;
  server: Pems;
  client: Pems;
}

async function pki(name: string): Promise<Pki> {
  const ca = await generate([{ name: "commonName", value: `${name} CA` }], {
    ...EC,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const signer = { ca: { key: ca.private, cert: ca.cert } };
  const [server, client] = await Promise.all([
    generate([{ name: "commonName", value: "localhost" }], {
      ...EC,
      ...signer,
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] },
      ],
    }),
    generate([{ name: "commonName", value: `${name} client` }], {
      ...EC,
      ...signer,
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, critical: true },
        { name: "extKeyUsage", clientAuth: true },
      ],
    }),
  ]);
  return { ca, server, client };
}

let ours: Pki;
let stranger: Pki;
beforeAll(async () => {
  [ours, stranger] = await Promise.all([pki("statefun"), pki("someone-else")]);
});

describe("HTTPS", () => {
  let server: StateFunServer;
  beforeAll(async () => {
    server = await serve(sf, { port: 0, host: "127.0.0.1", handleSignals: false, logger: silentLogger, tls: { key: ours.server.private, cert: ours.server.cert } });
  });
  afterAll(() => server.close());

  test("the URL is https and a client trusting the certificate gets the reply", async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/statefun$/);
    const answer = await send(server.url, { body, ca: ours.ca.cert, headers: { "Content-Type": "application/octet-stream" } });
    expect(answer.status).toBe(200);
    expect(result(answer.body).stateMutations).toHaveLength(1);
  });

  test("a client that does not trust the certificate refuses to talk", async () => {
    await expect(send(server.url, { body })).rejects.toThrow(/unable to (verify|get local issuer)/);
  });
});

describe("mTLS (ca + requestCert)", () => {
  let server: StateFunServer;
  beforeAll(async () => {
    server = await serve(sf, {
      port: 0,
      host: "127.0.0.1",
      handleSignals: false,
      logger: silentLogger,
      tls: { key: ours.server.private, cert: ours.server.cert, ca: ours.ca.cert, requestCert: true },
    });
  });
  afterAll(() => server.close());

  test("a client with a certificate signed by the authority gets the reply", async () => {
    const answer = await send(server.url, { body, ca: ours.ca.cert, cert: ours.client.cert, key: ours.client.private });
    expect(answer.status).toBe(200);
    expect(result(answer.body).stateMutations).toHaveLength(1);
  });

  test("a client without a certificate is refused during the handshake", async () => {
    await expect(send(server.url, { body, ca: ours.ca.cert })).rejects.toThrow(/alert certificate required/);
  });

  test("a client whose certificate another authority signed is refused, and nothing runs", async () => {
    const before = runs;
    // TLS 1.3 completes the client's side of the handshake before the server has checked its
    // certificate, so the client sees the refusal as the server's alert or as a hang-up.
    await expect(send(server.url, { body, ca: ours.ca.cert, cert: stranger.client.cert, key: stranger.client.private })).rejects.toThrow(
      /alert unknown ca|socket hang up|ECONNRESET/,
    );
    expect(runs).toBe(before);
  });
});
