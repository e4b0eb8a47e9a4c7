/**
 * The classic StateFun greeter, compatible with the official playground: `example/person`
 * counts a person's visits and asks `example/greeter` for a greeting, which goes to the
 * playground egress topic `greetings`.
 *
 *   curl -X PUT -H "Content-Type: application/vnd.example/GreetRequest" -d '{"name":"Bob"}' localhost:8090/example/person/Bob
 *   curl localhost:8091/greetings
 */
import { StateFun, egressMessageBuilder, kafkaEgressMessage, messageBuilder } from "../../src";

/** What the ingress sends to person (`name` only) and person sends to greeter. */
export interface GreetRequest {
  name: string;
  visits?: number;
}

export const GreetRequestType = StateFun.jsonType<GreetRequest>("example/GreetRequest");

/** A record for the playground egress: served as the payload's UTF-8 at `GET :8091/<topic>`. */
export interface EgressRecord {
  topic: string;
  payload: string;
}

export const EgressRecordType = StateFun.jsonType<EgressRecord>("io.statefun.playground/EgressRecord");

/** The playground egress's id (fixed by the playground). */
export const PLAYGROUND_EGRESS = "io.statefun.playground/egress";

export function greeting(name: string, visits: number): string {
  if (visits === 1) return `Hello ${name}! Nice to meet you.`;
  if (visits === 2) return `Hello again ${name}! Second time today.`;
  return `Welcome back ${name}, visit number ${visits}.`;
}

/**
 * Where greetings go: the playground egress topic `greetings` (locally, and with the playground
 * image), or a Kafka egress (on a cluster running the plain StateFun image, which has no
 * playground egress).
 */
export type GreetingsEgress = "playground" | { kafkaEgress: string; topic: string };

/** Binds the greeter's functions on `sf` (a new StateFun by default). */
export function greeterApp(sf: StateFun = new StateFun(), greetings: GreetingsEgress = "playground"): StateFun {
  return sf
    .bind({
      typename: "example/person",
      specs: [{ name: "visits", type: StateFun.intType(), expireAfterWrite: 24 * 60 * 60 * 1000 }],
      fn(context, message) {
        // A GreetRequest from the playground ingress; anything else greets the address's id. (The
        // playground types a body sent without `application/vnd.<typename>` as a string but passes
        // its raw bytes, which no SDK can decode as one.)
        const name = (message.is(GreetRequestType) ? message.as(GreetRequestType)?.name : undefined) ?? context.self.id;
        const visits = (context.storage.visits ?? 0) + 1;
        context.storage.visits = visits;
        context.send(messageBuilder({ typename: "example/greeter", id: name, value: { name, visits }, valueType: GreetRequestType }));
      },
    })
    .bind({
      typename: "example/greeter",
      fn(context, message) {
        const request = message.as(GreetRequestType);
        if (request === null) return;
        const text = greeting(request.name, request.visits ?? 1);
        context.send(
          greetings === "playground"
            ? egressMessageBuilder({ typename: PLAYGROUND_EGRESS, value: { topic: "greetings", payload: text }, valueType: EgressRecordType })
            : kafkaEgressMessage({ typename: greetings.kafkaEgress, topic: greetings.topic, key: request.name, value: text }),
        );
      },
    });
}
