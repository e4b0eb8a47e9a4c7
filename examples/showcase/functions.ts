/**
 * The showcase: one function per feature of statefun-ts, written with the typed API (`@fn`
 * decorators, state declared by name, schema-checked JSON and protobuf types).
 *
 *   showcase/types      every kind of value: int, long, double, JSON with a schema, protobuf, one
 *                       handler per message type
 *   showcase/messaging  send to another function, and reply to the caller
 *   showcase/timer      a delayed message, and cancelling it
 *   showcase/egress     Kafka, Kinesis and playground egress records
 *   showcase/session    state with a time-to-live
 *   showcase/async      awaiting asynchronous work inside a function
 */
import protobuf from "protobufjs";
import { Context, Message, StateFun, fn, kafkaEgressMessage, kinesisEgressMessage, type ProtobufJsType, type StorageOfState } from "../../src";

/** A JSON type with a schema: values are checked when sent and when received. */
export interface Profile {
  name: string;
  age?: number;
}

export const ProfileType = StateFun.jsonType<Profile>("showcase/Profile", {
  schema: {
    type: "object",
    properties: { name: { type: "string", minLength: 1 }, age: { type: "integer", minimum: 0 } },
    required: ["name"],
    additionalProperties: false,
  },
});

/** A protobuf type (protobufjs, from an inline .proto); its typename is type.googleapis.com/showcase.Location. */
export interface Location {
  lat: number;
  lon: number;
  label: string;
}

const LocationMessage = protobuf
  .parse('syntax = "proto3"; package showcase; message Location { double lat = 1; double lon = 2; string label = 3; }')
  .root.lookupType("showcase.Location");

export const LocationType = StateFun.protoType(LocationMessage as unknown as ProtobufJsType<Location>);

/** What `showcase/types` receives: one value of each kind, as separate messages. */
const typesState = {
  count: StateFun.intType(),
  total: StateFun.longType(),
  average: StateFun.doubleType(),
  profile: ProfileType,
  where: LocationType,
};

type TypesStorage = StorageOfState<typeof typesState>;

function addNumber(ctx: Context<TypesStorage>, n: bigint): void {
  const count = (ctx.storage.count ?? 0) + 1;
  const total = (ctx.storage.total ?? 0n) + n;
  ctx.storage.count = count;
  ctx.storage.total = total;
  ctx.storage.average = Number(total) / count;
}

/** A record for the playground egress: `payload` served at `GET :8091/<topic>`. */
export const PlaygroundRecordType = StateFun.jsonType<{ topic: string; payload: string }>("io.statefun.playground/EgressRecord");

/** The showcase's log: the playground topic `showcase-log`. */
function log(ctx: Context<object>, text: string): void {
  ctx.egress("io.statefun.playground/egress", { topic: "showcase-log", payload: text }, PlaygroundRecordType);
}

const timerState = { armed: StateFun.booleanType() };
const sessionState = { seen: { type: StateFun.intType(), expireAfterCall: 60_000 } };
const asyncState = { lookups: StateFun.intType() };

/** How `showcase/async` looks things up: any asynchronous call (a database, an HTTP API). */
export type Lookup = (key: string) => Promise<string>;

export class Showcase {
  constructor(private readonly lookup: Lookup) {}

  /**
   * `showcase/types` keeps a running count, a 64-bit total and an average of the numbers it
   * gets, and stores profiles and places: one method per message type, each given the value
   * decoded (a message of another type fails, naming the four typenames).
   */
  @fn("showcase/types", { state: typesState, handles: StateFun.intType() })
  int(ctx: Context<TypesStorage>, n: number): void {
    addNumber(ctx, BigInt(n));
  }

  @fn("showcase/types", { state: typesState, handles: StateFun.longType() })
  long(ctx: Context<TypesStorage>, n: bigint): void {
    addNumber(ctx, n);
  }

  @fn("showcase/types", { state: typesState, handles: ProfileType })
  profile(ctx: Context<TypesStorage>, profile: Profile): void {
    ctx.storage.profile = profile;
  }

  @fn("showcase/types", { state: typesState, handles: LocationType })
  location(ctx: Context<TypesStorage>, where: Location): void {
    ctx.storage.where = where;
  }

  /** Asks `showcase/echo` to echo a text; the echo replies to its caller. */
  @fn("showcase/messaging")
  messaging(ctx: Context, msg: Message): void {
    if (ctx.caller?.typename === "showcase/echo") {
      log(ctx, `echoed: ${msg.asString()}`);
      return;
    }
    ctx.send({ typename: "showcase/echo", id: ctx.self.id, value: msg.asString() ?? "" });
  }

  @fn("showcase/echo")
  echo(ctx: Context, msg: Message): void {
    ctx.reply(msg.asString() ?? "");
  }

  /** "arm" sends itself a reminder in 10 s (token "reminder"); "disarm" cancels it; the reminder writes to the log. */
  @fn("showcase/timer", { state: timerState })
  timer(ctx: Context<StorageOfState<typeof timerState>>, msg: Message): void {
    const command = msg.asString();
    if (command === "arm") {
      ctx.sendAfter(10_000, { typename: "showcase/timer", id: ctx.self.id, value: "ring" }, "reminder");
      ctx.storage.armed = true;
    } else if (command === "disarm") {
      ctx.cancelDelayedMessage("reminder");
      ctx.storage.armed = false;
    } else if (command === "ring") {
      ctx.storage.armed = false;
      log(ctx, `reminder for ${ctx.self.id}`);
    }
  }

  /** Writes one record to each kind of egress. */
  @fn("showcase/egress")
  egress(ctx: Context, msg: Message): void {
    const text = msg.asString() ?? "";
    ctx.send(kafkaEgressMessage({ typename: "showcase/kafka", topic: "showcase", key: ctx.self.id, value: text }));
    ctx.send(kinesisEgressMessage({ typename: "showcase/kinesis", stream: "showcase", partitionKey: ctx.self.id, value: text }));
    ctx.egress("io.statefun.playground/egress", { topic: "showcase", payload: text }, PlaygroundRecordType);
  }

  /** Counts visits in a session that ends one minute after the last one (expireAfterCall). */
  @fn("showcase/session", { state: sessionState })
  session(ctx: Context<StorageOfState<typeof sessionState>>): void {
    ctx.storage.seen = (ctx.storage.seen ?? 0) + 1;
  }

  /** Awaits a lookup before answering: the batch waits, and state stays consistent. */
  @fn("showcase/async", { state: asyncState })
  async async(ctx: Context<StorageOfState<typeof asyncState>>, msg: Message): Promise<void> {
    const answer = await this.lookup(msg.asString() ?? "");
    ctx.storage.lookups = (ctx.storage.lookups ?? 0) + 1;
    log(ctx, `${msg.asString()} → ${answer}`);
  }
}

/** An asynchronous lookup for the showcase: answers on a later turn of the event loop. */
export const slowUpperCase: Lookup = (key) => new Promise((resolve) => setImmediate(() => resolve(key.toUpperCase())));

/** Binds the showcase's functions on `sf` (a new StateFun by default). */
export function showcaseApp(sf: StateFun = new StateFun(), lookup: Lookup = slowUpperCase): StateFun {
  return sf.register(new Showcase(lookup));
}
