/**
 * The classic StateFun greeter: `example/person` counts a person's visits and asks
 * `example/greeter` to greet them; the greeter writes the greeting to the Kafka egress
 * `example/greets`.
 */
import { StateFun, kafkaEgressMessage, messageBuilder } from "../../src";

/** What person sends to greeter. */
export interface GreetRequest {
  name: string;
  visits: number;
}

export const GreetRequestType = StateFun.jsonType<GreetRequest>("example/GreetRequest");

export function greeting({ name, visits }: GreetRequest): string {
  if (visits === 1) return `Hello ${name}! Nice to meet you.`;
  if (visits === 2) return `Hello again ${name}! Second time today.`;
  return `Welcome back ${name}, visit number ${visits}.`;
}

export function greeterApp(): StateFun {
  return new StateFun()
    .bind({
      typename: "example/person",
      specs: [{ name: "visits", type: StateFun.intType(), expireAfterWrite: 24 * 60 * 60 * 1000 }],
      fn(context, message) {
        const name = message.asString() ?? context.self.id;
        const visits = (context.storage.visits ?? 0) + 1;
        context.storage.visits = visits;
        context.send(
          messageBuilder({ typename: "example/greeter", id: name, value: { name, visits }, valueType: GreetRequestType }),
        );
      },
    })
    .bind({
      typename: "example/greeter",
      fn(context, message) {
        const request = message.as(GreetRequestType);
        if (request === null) return;
        context.send(
          kafkaEgressMessage({ typename: "example/greets", topic: "greetings", key: request.name, value: greeting(request) }),
        );
      },
    });
}
