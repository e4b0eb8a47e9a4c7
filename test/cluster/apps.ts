/**
 * The function apps the cluster tests serve, by name: `endpoint.ts <app>` serves one of them,
 * each in its own process. An app is anything that can listen on 127.0.0.1 and answer the
 * runtime's POSTs: statefun-ts apps go through the SDK's serve(); a baseline served by another
 * SDK (the official apache-flink-statefun) would bring its own server here.
 */
import { StateFun, serve } from "../../src";
import { greeterApp } from "../../examples/greeter/functions";

export interface ListeningApp {
  readonly port: number;
  /** The function URL, for module.yaml's urlPathTemplate. */
  readonly url: string;
}

export interface App {
  /** Starts listening on 127.0.0.1:`port` (0: a free port). */
  listen(port: number): Promise<ListeningApp>;
}

/** A statefun-ts app, served exactly as in production: serve() with its defaults. */
function statefunTs(build: () => StateFun): App {
  return {
    async listen(port) {
      const server = await serve(build(), { port, host: "127.0.0.1" });
      return { port: server.port, url: server.url };
    },
  };
}

export const apps: Readonly<Record<string, App>> = {
  /** examples/greeter with its greetings on the Kafka egress example/greets, as examples/cluster.ts deploys it. */
  greeter: statefunTs(() => greeterApp(new StateFun(), { kafkaEgress: "example/greets", topic: "greetings" })),
};
